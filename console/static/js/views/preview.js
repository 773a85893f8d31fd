// An artifact shown in place, from GET /v1/artifacts/{id}/preview (same origin, decision 89): text as
// text, Markdown rendered, JSON as a tree, raster images through a blob: URL (the CSP's img-src allows
// blob: and nothing else off the page). Whatever the artifact holds, it is never run: text goes in as
// text nodes, the Markdown renderer builds elements itself.
import { api, explain } from "../api.js";
import { h, replace } from "../dom.js";
import { jsonTree, markdown } from "../render.js";

function body(preview) {
  const cut = preview.truncated ? h("p", { class: "hint" }, "Only the start is shown: download it for the rest.") : null;
  switch (preview.kind) {
    case "markdown":
      return [markdown(preview.text), cut];
    case "json": {
      try {
        if (!preview.truncated) return [jsonTree(JSON.parse(preview.text), { label: preview.name })];
      } catch { /* not valid JSON after all: shown as text */ }
      return [h("pre", { class: "mono" }, preview.text), cut];
    }
    case "text":
      return [h("pre", { class: "mono" }, preview.text), cut];
    case "image": {
      const bytes = Uint8Array.from(atob(preview.data_base64), (c) => c.charCodeAt(0));
      const src = URL.createObjectURL(new Blob([bytes], { type: preview.content_type.split(";")[0] }));
      return [h("img", { src, alt: preview.name, class: "artifact-image" })];
    }
    default:
      return [h("p", { class: "hint" }, `No preview: ${preview.reason}`)];
  }
}

// A "Preview" toggle for one artifact; the content is fetched when first opened.
export function previewToggle(artifact) {
  const slot = h("div", { class: "artifact-preview", hidden: true });
  let loaded = false;
  const button = h("button", { type: "button", class: "secondary preview", "aria-expanded": "false", onclick: async () => {
    const open = slot.hidden;
    slot.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Hide preview" : "Preview";
    if (!open || loaded) return;
    replace(slot, h("p", { class: "hint" }, "Loading…"));
    try {
      const preview = await api(`/v1/artifacts/${encodeURIComponent(artifact.artifact_id)}/preview`);
      replace(slot, ...body(preview));
      loaded = true;
    } catch (error) {
      replace(slot, h("p", { class: "notice error", role: "alert" }, explain(error)));
    }
  } }, "Preview");
  return [button, slot];
}

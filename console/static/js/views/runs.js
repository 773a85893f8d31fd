// Runs, newest first, filtered by status, workflow and metadata (the API does all three) and paged with
// its cursor; the search box also takes a run id, and opens that run.
import { api, catalog, explain } from "../api.js";
import { ago, badge, h, queryOf, replace, shortId, timeElement } from "../dom.js";

const STATUSES = ["", "queued", "running", "waiting_for_input", "succeeded", "failed", "cancelled", "timed_out"];
const PAGE = 20;

export async function renderRuns(main, { query, navigate }) {
  const status = query.status || "";
  const workflow = query.workflow || "";
  const cursor = query.cursor || "";
  const search = query.q || "";
  const metadata = metadataOf(search);
  const previous = query.prev ? query.prev.split(",") : []; // cursors of the pages before, for "Previous"
  const known = await catalog();

  const go = (changes) => navigate(`#/runs${queryOf({ status, workflow, q: search, ...changes })}`);
  const find = (text) => {
    const wanted = text.trim();
    if (RUN_ID.test(wanted)) navigate(`#/runs/${encodeURIComponent(wanted)}`);
    else go({ q: wanted, cursor: "", prev: "" });
  };
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter runs",
    onsubmit: (e) => { e.preventDefault(); find(e.target.elements.q.value); } },
    h("div", { class: "field" }, h("label", { for: "r-search" }, "Run id or metadata"),
      h("input", { id: "r-search", name: "q", type: "search", value: search, placeholder: "team=ops", autocomplete: "off",
        "aria-describedby": "r-search-hint" }),
      h("p", { class: "hint", id: "r-search-hint" }, "A run id opens that run; key=value pairs (space-separated) match its metadata.")),
    h("div", { class: "field" }, h("label", { for: "r-status" }, "Status"),
      h("select", { id: "r-status", onchange: (e) => go({ status: e.target.value, cursor: "", prev: "" }) },
        STATUSES.map((s) => h("option", { value: s, selected: s === status }, s ? s.replaceAll("_", " ") : "Any status")))),
    h("div", { class: "field" }, h("label", { for: "r-workflow" }, "Workflow"),
      h("select", { id: "r-workflow", onchange: (e) => go({ workflow: e.target.value, cursor: "", prev: "" }) },
        h("option", { value: "" }, "All workflows"),
        known.map((w) => h("option", { value: w.name, selected: w.name === workflow }, w.name)))));
  const body = h("div", { id: "runs" }, h("p", { class: "loading", role: "status" }, "Loading runs…"));
  replace(main, h("h1", {}, "Runs"), form, body);

  if (search && !metadata) {
    replace(body, h("p", { class: "notice error", role: "alert" }, `Search for a run id, or key=value pairs: “${search}” is neither.`));
    return;
  }
  try {
    const filters = Object.fromEntries(Object.entries(metadata || {}).map(([k, v]) => [`metadata.${k}`, v]));
    const page = await api("/v1/runs", { query: { status, workflow, ...filters, limit: PAGE, cursor } });
    const table = page.data.length
      ? h("table", { class: "stack", id: "runs-table", "aria-describedby": "runs-order" },
        h("thead", {}, h("tr", {}, ["Run", "Workflow", "Status", "Created", "Updated"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, page.data.map((run) => h("tr", { dataset: { runId: run.run_id } },
          h("td", { "data-label": "Run" }, h("a", { href: `#/runs/${encodeURIComponent(run.run_id)}` }, h("code", {}, shortId(run.run_id)))),
          h("td", { "data-label": "Workflow" }, `${run.workflow.name} ${run.workflow.version}`),
          h("td", { "data-label": "Status" }, badge(run.status)),
          h("td", { "data-label": "Created" }, timeElement(run.created_at)),
          h("td", { "data-label": "Updated" }, ago(run.updated_at))))))
      : h("p", { class: "empty" }, "No runs match these filters.");
    const pager = h("nav", { class: "pager", "aria-label": "Pages of runs" },
      previous.length || cursor
        ? h("button", { type: "button", class: "secondary", id: "prev-page",
          onclick: () => go({ cursor: previous.at(-1) || "", prev: previous.slice(0, -1).join(",") }) }, "Previous")
        : null,
      page.next_cursor
        ? h("button", { type: "button", class: "secondary", id: "next-page",
          onclick: () => go({ cursor: page.next_cursor, prev: [...previous, cursor].join(",") }) }, "Next")
        : null);
    const matching = metadata ? `, metadata ${Object.entries(metadata).map(([k, v]) => `${k}=${v}`).join(" ")}` : "";
    const order = `Newest first${status ? `, ${status.replaceAll("_", " ")}` : ""}${workflow ? `, workflow ${workflow}` : ""}${matching}.`;
    replace(body, h("p", { class: "hint", id: "runs-order" }, order), table, pager);
  } catch (error) {
    replace(body, h("p", { class: "notice error", role: "alert" }, explain(error)));
  }
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// "team=ops region=eu" as {team: "ops", region: "eu"}; null when the text isn't such pairs.
function metadataOf(text) {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return null;
  const pairs = words.map((word) => word.split("="));
  if (pairs.some((pair) => pair.length !== 2 || !pair[0] || !pair[1])) return null;
  return Object.fromEntries(pairs);
}

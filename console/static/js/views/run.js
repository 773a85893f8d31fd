// One run: its timeline live over SSE (reconnecting with Last-Event-ID across the API's windows), step
// durations, status, output or error, checkpoints with their audit, artifacts with download links,
// webhook deliveries with every attempt, and cancel with a confirmation.
import { api, ApiError, explain } from "../api.js";
import { ago, badge, facts, formatBytes, formatDuration, formatTime, h, parseTime, replace, shortId, timeElement, toast } from "../dom.js";
import { jsonTree } from "../render.js";
import { followRun } from "../sse.js";
import * as store from "../store.js";
import { audit, stepsOf, stepsTable } from "./common.js";
import { previewToggle } from "./preview.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
const LINK_REFRESH_MS = 10 * 60_000; // download URLs last 15 minutes

export async function renderRun(main, { params }) {
  const [runId] = params;
  const base = `/v1/runs/${encodeURIComponent(runId)}`;
  let run = await api(base);
  const events = [];
  let stopStream = null;
  const timers = [];

  const statusSlot = h("span", { id: "run-status" });
  const actions = h("div", { class: "actions" });
  const notices = h("div", { id: "run-notices" });
  const summary = h("div");
  const result = h("section", { class: "panel", id: "result", "aria-labelledby": "result-title" });
  const streamState = h("p", { class: "stream-state", id: "stream-state", "aria-live": "off" });
  const timeline = h("ol", { class: "timeline", id: "timeline", "aria-label": "Events, oldest first" });
  const stepsSlot = h("div", { id: "steps-slot" });
  const checkpointsSlot = h("div", { id: "checkpoints" });
  const artifactsSlot = h("div", { id: "artifacts" });
  const deliveriesSlot = h("div", { id: "deliveries" });
  const dialog = cancelDialog();

  replace(main,
    h("p", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs"), " › ", shortId(runId)),
    h("div", { class: "header-row" }, h("h1", {}, `${run.workflow.name} run ${shortId(runId)}`), h("div", {}, statusSlot)),
    actions, notices,
    h("div", { class: "columns" },
      h("div", {},
        result,
        h("section", { class: "panel", "aria-labelledby": "timeline-title" },
          h("div", { class: "header-row" }, h("h2", { id: "timeline-title" }, "Timeline"), streamState),
          timeline),
        h("section", { class: "panel", "aria-labelledby": "steps-title" }, h("h2", { id: "steps-title" }, "Steps"), stepsSlot),
        h("section", { class: "panel", "aria-labelledby": "checkpoints-title" }, h("h2", { id: "checkpoints-title" }, "Checkpoints"), checkpointsSlot)),
      h("div", {},
        h("section", { class: "panel", "aria-labelledby": "summary-title" }, h("h2", { id: "summary-title" }, "Run"), summary),
        h("section", { class: "panel", "aria-labelledby": "artifacts-title" }, h("h2", { id: "artifacts-title" }, "Artifacts"), artifactsSlot),
        h("section", { class: "panel", "aria-labelledby": "deliveries-title" },
          h("div", { class: "header-row" }, h("h2", { id: "deliveries-title" }, "Webhook deliveries"),
            h("button", { type: "button", class: "secondary", id: "deliveries-refresh", onclick: () => loadDeliveries() }, "Refresh")),
          deliveriesSlot),
        h("section", { class: "panel", "aria-labelledby": "input-title" },
          h("h2", { id: "input-title" }, "Input"), jsonTree(run.input, { label: "Input" }),
          Object.keys(run.config || {}).length ? [h("h3", {}, "Config"), jsonTree(run.config, { label: "Config" })] : null,
          Object.keys(run.metadata || {}).length ? [h("h3", {}, "Metadata"), jsonTree(run.metadata, { label: "Metadata" })] : null))),
    dialog.element);

  function renderRunState() {
    replace(statusSlot, badge(run.status));
    statusSlot.dataset.status = run.status;
    replace(actions, TERMINAL.has(run.status) ? null
      : h("button", { type: "button", class: "danger", id: "cancel-run", onclick: () => dialog.open() }, "Cancel run"));
    replace(summary, facts([
      ["Run id", h("code", {}, run.run_id)],
      ["Workflow", `${run.workflow.name} ${run.workflow.version}`],
      ["Status", badge(run.status)],
      ["Created", timeElement(run.created_at)],
      ["Updated", [timeElement(run.updated_at), ` (${ago(run.updated_at)})`]],
      ["Took", TERMINAL.has(run.status) ? formatDuration(parseTime(run.updated_at) - parseTime(run.created_at)) : undefined],
      ["Webhook", run.callback_url ? h("code", {}, run.callback_url) : "none"],
    ]));
    const parts = [h("h2", { id: "result-title" }, "Result")];
    if (run.status === "succeeded") parts.push(h("div", { id: "output" }, jsonTree(run.output, { label: "Output" })));
    else if (run.error) {
      parts.push(h("div", { class: "notice error", id: "run-error" },
        h("p", {}, h("strong", {}, run.error.type), ": ", run.error.message)));
    } else if (run.status === "waiting_for_input") parts.push(h("p", {}, "Waiting for a human: see its checkpoint below."));
    else if (run.status === "cancelled") parts.push(h("p", {}, "Cancelled."));
    else parts.push(h("p", {}, "Not finished yet: the timeline is live."));
    replace(result, parts);
  }

  function cancelDialog() {
    const keep = h("button", { type: "button", class: "secondary", id: "cancel-keep", autofocus: true }, "Keep it running");
    const confirm = h("button", { type: "button", class: "danger", id: "cancel-confirm" }, "Cancel the run");
    const element = h("dialog", { id: "cancel-dialog", "aria-labelledby": "cancel-title", "aria-describedby": "cancel-text" },
      h("h2", { id: "cancel-title" }, "Cancel this run?"),
      h("p", { id: "cancel-text" }, "It stops where it is; a pending checkpoint is cancelled with it. This can't be undone."),
      h("div", { class: "actions" }, keep, confirm));
    keep.addEventListener("click", () => element.close());
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      try {
        run = await api(`${base}/cancel`, { method: "POST" });
        renderRunState();
        toast("The run was cancelled.");
        store.refresh();
      } catch (error) {
        const message = error instanceof ApiError && error.status === 409
          ? `The run can't be cancelled: it is already ${String(error.problem.status_now || "finished").replaceAll("_", " ")}.`
          : explain(error);
        replace(notices, h("p", { class: "notice conflict", role: "alert" }, message));
      } finally {
        confirm.disabled = false;
        element.close();
      }
    });
    return { element, open: () => element.showModal() };
  }

  // -- timeline ------------------------------------------------------------------------------------
  function addEvent(event) {
    events.push(event);
    const group = event.type.split(".")[0];
    const failed = /failed|timed_out|cancelled/.test(event.type);
    timeline.append(h("li", { class: [group, failed && "failed"], dataset: { eventId: String(event.id), type: event.type } },
      h("span", { class: "when" }, timeElement(event.created_at)),
      h("span", { class: "type" }, event.type), " ", describe(event, events),
      h("details", {}, h("summary", {}, `#${event.id} data`), jsonTree(event.data, { label: `Event ${event.id}` }))));
    replace(stepsSlot, stepsTable(stepsOf(events)));
  }

  let reloadTimer = 0;
  function scheduleReload(what) {
    pendingReloads.add(what);
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(async () => {
      const todo = [...pendingReloads];
      pendingReloads.clear();
      await Promise.all(todo.map((name) => loaders[name]().catch(() => {})));
    }, 150);
  }
  const pendingReloads = new Set();
  const loaders = {
    run: async () => { run = await api(base); renderRunState(); },
    checkpoints: () => loadCheckpoints(),
    artifacts: () => loadArtifacts(),
    deliveries: () => loadDeliveries(),
  };

  async function loadCheckpoints() {
    const page = await api(`${base}/checkpoints`);
    replace(checkpointsSlot, page.data.length
      ? h("ul", { class: "cards" }, page.data.map((c) => h("li", {},
        h("article", { class: ["card", c.status, (c.status === "expired" || c.status === "cancelled") && "closed"], dataset: { checkpointId: c.checkpoint_id } },
          h("h3", {}, h("a", { href: `#/runs/${encodeURIComponent(runId)}/checkpoints/${encodeURIComponent(c.checkpoint_id)}` }, c.prompt || c.checkpoint_id)),
          h("div", { class: "meta" }, badge(c.status), badge(c.type, "kind"), h("span", {}, c.assignee ? `for ${c.assignee}` : "for anyone"),
            h("span", {}, "asked ", timeElement(c.created_at))),
          audit(c)))))
      : h("p", { class: "empty" }, "This run asked no human."));
  }

  let shownArtifacts = "";
  // Redrawn when the run's artifacts change, or (refreshLinks) when their download links near expiry:
  // a reload for an event that changed nothing keeps the previews a reader opened.
  async function loadArtifacts(refreshLinks = false) {
    const list = await api(`${base}/artifacts`);
    const key = list.data.map((a) => a.artifact_id).join(",");
    if (key === shownArtifacts && !refreshLinks) return;
    shownArtifacts = key;
    if (!list.data.length) {
      replace(artifactsSlot, h("p", { class: "empty" }, "No artifacts."));
      return;
    }
    const withLinks = await Promise.all(list.data.map((a) => api(`/v1/artifacts/${encodeURIComponent(a.artifact_id)}`).catch(() => a)));
    replace(artifactsSlot, h("ul", { class: "cards" }, withLinks.map((a) => h("li", { class: "card", dataset: { artifactId: a.artifact_id } },
      h("h3", {}, a.name),
      h("div", { class: "meta" }, h("span", {}, a.content_type), h("span", {}, formatBytes(a.size)), h("span", {}, "from step ", h("code", {}, a.step)),
        h("span", {}, timeElement(a.created_at))),
      h("p", { class: "hint mono" }, `sha256 ${a.sha256}`),
      a.download_url
        ? h("p", {}, h("a", { class: "button secondary download", href: a.download_url, download: a.name, target: "_blank", rel: "noopener noreferrer" },
          `Download ${a.name}`), h("span", { class: "hint" }, ` link valid until ${formatTime(a.expires_at)}`))
        : h("p", { class: "notice error" }, "No download link (the artifact may have expired)."),
      previewToggle(a)))));
  }

  let shownDeliveries = "";
  async function loadDeliveries() {
    const page = await api(`${base}/deliveries`, { query: { limit: 100 } });
    const key = JSON.stringify(page.data);
    if (key === shownDeliveries) return; // unchanged: keep what the reader opened
    shownDeliveries = key;
    if (!page.data.length) {
      replace(deliveriesSlot, h("p", { class: "empty" }, run.callback_url ? "No deliveries yet." : "No webhook: the run has no callback_url."));
      return;
    }
    replace(deliveriesSlot, h("table", { class: "stack", id: "deliveries-table" },
      h("thead", {}, h("tr", {}, ["Event", "Status", "Attempts"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, page.data.map((d) => h("tr", { dataset: { deliveryId: d.delivery_id } },
        h("td", { "data-label": "Event" }, h("code", {}, d.event_type), ` #${d.event_id}`),
        h("td", { "data-label": "Status" }, badge(d.status), d.next_retry_at ? [" next try ", timeElement(d.next_retry_at)] : null),
        h("td", { "data-label": "Attempts" }, h("details", {},
          h("summary", {}, `${d.attempt_count} ${d.attempt_count === 1 ? "attempt" : "attempts"}`),
          d.attempts.length
            ? h("ol", {}, d.attempts.map((a) => h("li", {},
              timeElement(a.attempted_at), ": ",
              a.status_code ? `HTTP ${a.status_code}` : `no response (${a.error || "unknown"})`,
              ` in ${formatDuration(a.duration_ms)}`,
              a.next_retry_at ? [", retry at ", timeElement(a.next_retry_at)] : null,
              a.response_excerpt ? h("pre", {}, a.response_excerpt) : null)))
            : h("p", {}, "Not attempted yet."))))))));
  }

  renderRunState();
  await Promise.all([loadCheckpoints(), loadArtifacts(), loadDeliveries()].map((p) => p.catch((error) => toast(explain(error)))));

  let windows = 0;
  const showStream = () => {
    const plural = windows === 1 ? "window" : "windows";
    streamState.textContent = streamState.dataset.state === "ended"
      ? `complete: ${events.length} events in ${windows} ${plural}`
      : `${streamState.dataset.state} · ${windows} ${plural} · last event ${events.at(-1)?.id ?? "none"}`;
  };
  stopStream = followRun(runId, {
    onEvent: (event) => {
      addEvent(event);
      showStream();
      const group = event.type.split(".")[0];
      if (group === "run") scheduleReload("run");
      if (group === "checkpoint") { scheduleReload("checkpoints"); scheduleReload("run"); }
      if (group === "artifact") scheduleReload("artifacts");
      scheduleReload("deliveries");
    },
    onEnd: (end) => {
      streamState.dataset.ended = end.status;
      scheduleReload("run");
      scheduleReload("deliveries");
    },
    onState: (state, window) => {
      if (window) windows = window;
      streamState.dataset.windows = String(windows);
      streamState.dataset.state = state;
      showStream();
    },
    onError: (error) => replace(notices, h("p", { class: "notice error", role: "alert" }, explain(error))),
  });
  // Deliveries retry in the background (webhooks have no event of their own), and links expire.
  timers.push(setInterval(() => { if (document.visibilityState === "visible") loadDeliveries().catch(() => {}); }, 10_000));
  timers.push(setInterval(() => loadArtifacts(true).catch(() => {}), LINK_REFRESH_MS));

  return () => {
    stopStream?.();
    timers.forEach(clearInterval);
    clearTimeout(reloadTimer);
    if (dialog.element.open) dialog.element.close();
  };
}

// One line per event, in words.
function describe(event, events) {
  const d = event.data || {};
  switch (event.type) {
    case "step.started": {
      // A step retried (RetryableStepError, a throttled AWS call, a worker that died) starts again.
      const attempt = 1 + events.filter((e) => e.type === "step.started" && e.data.step === d.step && e.id < event.id).length;
      return h("span", {}, "step ", h("code", {}, d.step), attempt > 1 ? h("span", { class: "attempt" }, ` attempt ${attempt}`) : "");
    }
    case "step.completed": {
      const started = [...events].reverse().find((e) => e.type === "step.started" && e.data.step === d.step && e.id < event.id);
      const took = started ? ` in ${formatDuration(parseTime(event.created_at) - parseTime(started.created_at))}` : "";
      return h("span", {}, "step ", h("code", {}, d.step), ` finished${took}`);
    }
    case "step.failed": return h("span", {}, "step ", h("code", {}, d.step), `: ${d.error?.type || ""} ${d.error?.message || ""}`);
    case "checkpoint.created": return h("span", {}, h("q", {}, d.prompt), d.assignee ? ` for ${d.assignee}` : "", d.expires_at ? [", deadline ", timeElement(d.expires_at)] : "");
    case "checkpoint.resolved": return h("span", {}, `${d.decision}${d.by ? ` by ${d.by}` : ""}${d.comment ? `: “${d.comment}”` : ""}${d.reason ? `: “${d.reason}”` : ""}`);
    case "checkpoint.expired": return h("span", {}, `deadline passed (${d.on_timeout === "continue" ? "continued with the default" : "timed out"})`);
    case "checkpoint.assigned": return h("span", {}, h("code", {}, d.checkpoint_id), ` ${d.previous || "anyone"} → ${d.assignee || "anyone"}${d.by ? ` by ${d.by}` : ""}${d.via ? ` via ${d.via}` : ""}`);
    case "artifact.created": return h("span", {}, `${d.name} (${formatBytes(d.size)})`);
    case "run.failed":
    case "run.timed_out": return h("span", {}, `${d.error?.type || ""}: ${d.error?.message || ""}`);
    default: return RUNTIME_TYPES.test(event.type) ? null : customData(d);
  }
}

// A workflow's own event (ctx.emit): its data as labelled values, not as JSON.
const RUNTIME_TYPES = /^(run|step|checkpoint|artifact)\./;

function customData(data) {
  const entries = Object.entries(data);
  if (!entries.length) return null;
  return h("dl", { class: "facts event-data" }, entries.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, plainValue(value))]));
}

function plainValue(value) {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) return value.map(plainValue).join(", ");
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${plainValue(v)}`).join("; ");
  return String(value);
}

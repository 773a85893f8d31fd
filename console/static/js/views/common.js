// Pieces the checkpoint and run views share: the audit line of an answer, the explanation of a 409,
// and steps (with durations) read from a run's events.
import { ago, badge, formatDuration, formatTime, h, parseTime, timeElement } from "../dom.js";
import { jsonTree } from "../render.js";

const DECISIONS = {
  approved: "Approved",
  rejected: "Rejected",
  submitted: "Submitted",
  expired: "Expired",
};

// Who answered (the principal of the key), when, from where (when the API records it), and what.
export function audit(checkpoint) {
  const r = checkpoint.resolution;
  if (checkpoint.status === "cancelled") {
    return h("div", { class: "audit closed", "data-audit": "cancelled" },
      h("p", {}, h("strong", {}, "Cancelled"), " with its run ", timeElement(checkpoint.resolved_at), ": nobody answered."));
  }
  if (!r) return null;
  const what = [];
  if (r.decision === "approved" && r.comment) what.push(h("p", {}, "Comment: ", h("q", {}, r.comment)));
  if (r.decision === "rejected") what.push(h("p", {}, "Reason: ", r.reason ? h("q", {}, r.reason) : "none given"));
  if (r.decision === "submitted") what.push(h("p", {}, "Data:"), jsonTree(r.data, { label: "Submitted data" }));
  if (r.decision === "expired") {
    what.push(h("p", {}, "Nobody answered before the deadline."));
    if (r.data !== undefined) what.push(h("p", {}, "The run continued with the default:"), jsonTree(r.data, { label: "Default" }));
  }
  const by = r.by ? [" by ", h("strong", { class: "principal" }, r.by)] : [];
  const via = r.via || r.channel ? [" via ", h("strong", {}, r.via || r.channel)] : [];
  return h("div", {
    class: ["audit", r.decision === "rejected" && "rejected", r.decision === "expired" && "closed"],
    "data-audit": r.decision,
  },
  h("p", {}, h("strong", {}, DECISIONS[r.decision] || r.decision), by, via, " at ", timeElement(r.at), ` (${ago(r.at)})`),
  what);
}

// A 409 on an answer, as what happened instead: who won, or why nobody can answer any more.
export function conflict(problem) {
  const checkpoint = problem.checkpoint;
  const status = problem.status_now;
  const parts = [];
  if (status === "resolved" && checkpoint?.resolution) {
    const r = checkpoint.resolution;
    parts.push(h("h3", {}, "Someone else answered first"),
      h("p", {}, `${DECISIONS[r.decision] || r.decision} by `, h("strong", { class: "winner" }, r.by || "unknown"),
        " at ", timeElement(r.at), ` (${ago(r.at)}).`));
    if (r.comment) parts.push(h("p", {}, "Their comment: ", h("q", {}, r.comment)));
    if (r.reason) parts.push(h("p", {}, "Their reason: ", h("q", {}, r.reason)));
  } else if (status === "expired") {
    const r = checkpoint?.resolution;
    parts.push(h("h3", {}, "The deadline passed"),
      h("p", {}, "The checkpoint expired at ", timeElement(checkpoint?.resolved_at || r?.at), r && "data" in r
        ? ": the run went on with its default." : ": the run timed out."));
  } else if (status === "cancelled") {
    parts.push(h("h3", {}, "The run was cancelled"),
      h("p", {}, "Its checkpoint was cancelled with it at ", timeElement(checkpoint?.resolved_at), "."));
  } else {
    parts.push(h("h3", {}, "This answer doesn't apply"), h("p", {}, problem.detail || "The checkpoint changed."));
  }
  parts.push(h("p", {}, h("strong", {}, "Your answer was not applied.")));
  return h("div", { class: "notice conflict", role: "alert", id: "conflict" }, parts);
}

// Steps from events: when each started (the last start: a step that asked a human runs again from its
// start on resume), finished, how long it ran, and its state.
export function stepsOf(events) {
  const steps = new Map();
  let waitingSince = null;
  for (const event of events) {
    const d = event.data || {};
    const at = parseTime(event.created_at);
    if (event.type === "step.started") {
      const step = steps.get(d.step) || { name: d.step, index: d.index, firstStart: at, waited: 0 };
      step.start = at;
      step.state = "running";
      steps.set(d.step, step);
    } else if (event.type === "step.completed" || event.type === "step.failed") {
      const step = steps.get(d.step);
      if (step) {
        step.end = at;
        step.state = event.type === "step.completed" ? "completed" : "failed";
      }
    } else if (event.type === "checkpoint.created") {
      waitingSince = at;
      const running = [...steps.values()].find((s) => s.state === "running");
      if (running) running.state = "waiting";
    } else if (["checkpoint.resolved", "checkpoint.expired", "checkpoint.cancelled"].includes(event.type)) {
      const waiting = [...steps.values()].find((s) => s.state === "waiting");
      if (waiting && waitingSince !== null) waiting.waited += at - waitingSince;
      if (waiting) waiting.state = "running";
      waitingSince = null;
    }
  }
  return [...steps.values()].sort((a, b) => a.index - b.index);
}

export function stepsTable(steps, { compact = false } = {}) {
  if (!steps.length) return h("p", { class: "empty" }, "No step has started yet.");
  const columns = compact ? ["Step", "State", "Ran"] : ["Step", "State", "Ran", "Waited for a human", "Finished"];
  return h("table", { class: "stack", id: "steps" },
    h("thead", {}, h("tr", {}, columns.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, steps.map((s) => h("tr", { dataset: { step: s.name } },
      h("td", { "data-label": "Step" }, h("code", {}, s.name)),
      h("td", { "data-label": "State" }, badge(s.state, { completed: "succeeded", failed: "failed", waiting: "pending" }[s.state] || "running")),
      h("td", { "data-label": "Ran", class: "duration" }, s.end ? formatDuration(s.end - s.start) : "…"),
      compact ? null : h("td", { "data-label": "Waited for a human" }, s.waited ? formatDuration(s.waited) : "—"),
      compact ? null : h("td", { "data-label": "Finished" }, s.end ? formatTime(new Date(s.end).toISOString()) : "—")))));
}

// The inbox: checkpoints across runs, filtered and sorted in the browser (the API pages them oldest
// first by status, and filters by assignee); pending ones live from the shared poller.
import { api, ApiError, catalog, explain, pages } from "../api.js";
import { ago, badge, countdown, formatTime, h, parseTime, queryOf, replace, timeElement } from "../dom.js";
import * as store from "../store.js";
import { claimButton } from "./assign.js";

const STATUSES = [
  ["pending", "Pending"],
  ["closed", "Expired and cancelled"],
  ["resolved", "Answered"],
  ["all", "Everything"],
];
const DEADLINES = [
  ["", "Any deadline"],
  ["hour", "Due within 1 hour"],
  ["day", "Due within 24 hours"],
  ["has", "Has a deadline"],
  ["none", "No deadline"],
  ["passed", "Deadline passed"],
];
const SORTS = [
  ["deadline", "Soonest deadline first"],
  ["newest", "Newest first"],
  ["oldest", "Oldest first"],
];

function select(id, label, options, current) {
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("select", { id, name: id }, options.map(([value, text]) => h("option", { value, selected: value === current }, text))));
}

export async function renderInbox(main, { query, navigate }) {
  const filters = {
    status: query.status || "pending",
    assignee: query.assignee || "",
    workflow: query.workflow || "",
    kind: query.kind || "",
    deadline: query.deadline || "",
    sort: query.sort || "deadline",
  };
  const known = await catalog();
  const kinds = new Set(["approval", "input"]);
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter the inbox", onsubmit: (event) => event.preventDefault() },
    select("f-status", "Status", STATUSES, filters.status),
    h("div", { class: "field" },
      h("label", { for: "f-assignee" }, "Assignee"),
      h("input", { id: "f-assignee", name: "assignee", type: "search", value: filters.assignee, list: "assignees", autocomplete: "off" }),
      h("datalist", { id: "assignees" })),
    select("f-workflow", "Workflow", [["", "All workflows"], ...known.map((w) => [w.name, w.name])], filters.workflow),
    select("f-kind", "Kind", [["", "Any kind"], ...[...kinds].map((k) => [k, k])], filters.kind),
    select("f-deadline", "Deadline", DEADLINES, filters.deadline),
    select("f-sort", "Sort", SORTS, filters.sort),
  );
  const summary = h("p", { class: "live", id: "inbox-summary", "aria-live": "polite" });
  const updated = h("span", { class: "live" });
  const list = h("ul", { class: "cards", id: "inbox-list", "aria-label": "Checkpoints" });
  const more = h("div");
  // Bulk answers: the pending approvals ticked in the list, approved or rejected at once.
  const selected = new Set();
  const bulkResult = h("p", { id: "bulk-result", role: "status", "aria-live": "polite" });
  const bulkNote = h("input", { id: "bulk-note", type: "text", autocomplete: "off" });
  const bulk = h("form", { class: "filters bulk", id: "bulk", "aria-label": "Answer the selected approvals", onsubmit: (e) => e.preventDefault() },
    h("div", { class: "field" }, h("label", { for: "bulk-note" }, "Comment or reason (optional)"), bulkNote),
    h("button", { type: "button", id: "bulk-approve", onclick: () => answerSelected("approve") }, "Approve selected"),
    h("button", { type: "button", id: "bulk-reject", class: "secondary", onclick: () => answerSelected("reject") }, "Reject selected"),
    bulkResult);
  replace(main,
    h("div", { class: "summary" }, h("h1", {}, "Inbox"), summary, updated),
    form, bulk, list, more);

  async function answerSelected(action) {
    const picked = [...selected];
    if (!picked.length) {
      bulkResult.textContent = "Tick the approvals to answer first.";
      return;
    }
    const note = bulkNote.value.trim();
    const body = action === "approve" ? (note ? { comment: note } : {}) : (note ? { reason: note } : {});
    bulkResult.textContent = `Answering ${picked.length}…`;
    const outcomes = await Promise.all(picked.map(async (key) => {
      const [runId, checkpointId] = key.split("|");
      const path = `/v1/runs/${encodeURIComponent(runId)}/checkpoints/${encodeURIComponent(checkpointId)}/${action}`;
      try {
        await api(path, { method: "POST", body });
        selected.delete(key);
        return "done";
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) selected.delete(key);
        return error instanceof ApiError && error.status === 409 ? "conflict" : explain(error);
      }
    }));
    const done = outcomes.filter((o) => o === "done").length;
    const conflicts = outcomes.filter((o) => o === "conflict").length;
    const failed = outcomes.filter((o) => o !== "done" && o !== "conflict");
    const verb = action === "approve" ? "approved" : "rejected";
    bulkResult.textContent = [`${done} ${verb}`, conflicts ? `${conflicts} already answered or closed` : "",
      failed.length ? `${failed.length} failed: ${failed[0]}` : ""].filter(Boolean).join(", ") + ".";
    lastShown = "";
    await store.refresh();
  }

  let items = [];
  let truncated = false;
  let lastShown = "";

  const onChange = () => {
    const data = new FormData(form);
    Object.assign(filters, {
      status: form.elements["f-status"].value,
      assignee: String(data.get("assignee") || "").trim(),
      workflow: form.elements["f-workflow"].value,
      kind: form.elements["f-kind"].value,
      deadline: form.elements["f-deadline"].value,
      sort: form.elements["f-sort"].value,
    });
    const { sort, ...rest } = filters;
    history.replaceState(null, "", `#/inbox${queryOf({ ...rest, status: rest.status === "pending" ? "" : rest.status, sort: sort === "deadline" ? "" : sort })}`);
    lastShown = "";
    load();
  };
  form.addEventListener("change", onChange);
  form.elements.assignee.addEventListener("input", debounce(onChange, 300));

  function show() {
    const now = Date.now();
    const shown = items.filter((c) => matches(c, filters, now)).sort(order(filters.sort));
    const key = JSON.stringify(shown.map((c) => [c.run_id, c.checkpoint_id, c.status, c.assignee])) + filters.status;
    const pendingCount = items.filter((c) => c.status === "pending").length;
    summary.textContent = filters.status === "pending"
      ? `${pendingCount}${truncated ? "+" : ""} pending${shown.length !== pendingCount ? `, ${shown.length} shown` : ""}`
      : `${shown.length} shown`;
    const assignees = [...new Set(items.map((c) => c.assignee).filter(Boolean))].sort();
    replace(form.querySelector("#assignees"), assignees.map((a) => h("option", { value: a })));
    if (key === lastShown) return;
    lastShown = key;
    bulk.hidden = filters.status !== "pending";
    const pick = (c) => {
      const key = `${c.run_id}|${c.checkpoint_id}`;
      return h("input", { type: "checkbox", class: "pick", checked: selected.has(key), "aria-label": `Select “${c.prompt || c.checkpoint_id}”`,
        onchange: (e) => (e.target.checked ? selected.add(key) : selected.delete(key)) });
    };
    replace(list, shown.length
      ? shown.map((c) => card(c, c.status === "pending" && c.type === "approval" ? pick(c) : null))
      : h("li", { class: "empty" }, emptyText(filters)));
  }

  async function load() {
    try {
      if (filters.status === "pending") {
        await store.refresh();
        return; // the subscription shows it
      }
      const statuses = { closed: ["expired", "cancelled"], resolved: ["resolved"], all: ["pending", "resolved", "expired", "cancelled"] }[filters.status];
      const results = await Promise.all(statuses.map((status) =>
        pages("/v1/checkpoints", { status, limit: 100, assignee: filters.assignee }, { maxItems: 300 })));
      items = results.flatMap((r) => r.items);
      truncated = results.some((r) => r.more);
      updated.textContent = `updated ${formatTime(new Date().toISOString())}`;
      show();
    } catch (error) {
      replace(list, h("li", { class: "notice error", role: "alert" }, explain(error)));
    }
  }

  const unsubscribe = store.subscribe((state) => {
    if (filters.status !== "pending") return;
    if (state.error) {
      replace(list, h("li", { class: "notice error", role: "alert" }, explain(state.error)));
      return;
    }
    items = state.items;
    truncated = state.more;
    updated.textContent = `live · updated ${formatTime(state.loadedAt.toISOString())}`;
    show();
  });
  // Pending ones whose deadline just passed move to "deadline passed" without waiting for a poll.
  const regroup = setInterval(() => { if (filters.deadline) { lastShown = ""; show(); } }, 5000);
  load();
  return () => {
    unsubscribe();
    clearInterval(regroup);
  };
}

function debounce(fn, ms) {
  let timer = 0;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

function matches(c, filters, now) {
  if (filters.assignee && c.assignee !== filters.assignee) return false;
  if (filters.workflow && c.workflow.name !== filters.workflow) return false;
  if (filters.kind && c.type !== filters.kind && c.name !== filters.kind) return false;
  const deadline = parseTime(c.expires_at);
  const left = deadline - now;
  switch (filters.deadline) {
    case "hour": return left > 0 && left <= 3_600_000;
    case "day": return left > 0 && left <= 86_400_000;
    case "has": return !Number.isNaN(deadline);
    case "none": return Number.isNaN(deadline);
    case "passed": return left <= 0;
    default: return true;
  }
}

function order(sort) {
  const created = (c) => parseTime(c.created_at);
  if (sort === "newest") return (a, b) => created(b) - created(a);
  if (sort === "oldest") return (a, b) => created(a) - created(b);
  // Soonest deadline first; those without one after, newest first.
  return (a, b) => {
    const da = parseTime(a.expires_at);
    const db = parseTime(b.expires_at);
    if (Number.isNaN(da) && Number.isNaN(db)) return created(b) - created(a);
    if (Number.isNaN(da)) return 1;
    if (Number.isNaN(db)) return -1;
    return da - db;
  };
}

function emptyText(filters) {
  if (filters.status === "pending") return "Nothing waits for a human (with these filters).";
  return "No checkpoints match these filters.";
}

export function checkpointHref(c) {
  return `#/runs/${encodeURIComponent(c.run_id)}/checkpoints/${encodeURIComponent(c.checkpoint_id)}`;
}

function card(c, picker = null) {
  const overdue = c.status === "pending" && parseTime(c.expires_at) <= Date.now();
  const closed = c.status === "expired" || c.status === "cancelled";
  const settled = c.resolution?.decision || c.status;
  const state = c.status === "pending"
    ? countdown(c.expires_at)
    : h("span", {}, badge(settled), " ", c.resolved_at ? ago(c.resolved_at) : null);
  return h("li", {},
    h("article", {
      class: ["card", c.status, closed && "closed", overdue && "overdue"],
      dataset: { runId: c.run_id, checkpointId: c.checkpoint_id, status: c.status },
      "aria-label": `${c.prompt} (${c.status}${closed ? ", closed" : ""})`,
    },
    h("h2", {}, picker, h("a", { href: checkpointHref(c) }, c.prompt || c.checkpoint_id)),
    excerpt(c.payload) && !c.prompt.includes(excerpt(c.payload)) ? h("p", { class: "excerpt" }, excerpt(c.payload)) : null,
    h("div", { class: "meta" },
      badge(c.type, "kind"),
      h("span", {}, `${c.workflow.name} ${c.workflow.version}`),
      h("span", {}, c.assignee ? `for ${c.assignee}` : "for anyone"),
      h("span", {}, "asked ", timeElement(c.created_at)),
      state,
      c.resolution?.by ? h("span", {}, `by ${c.resolution.by}`) : null,
      c.status === "pending" ? claimButton(c, () => store.refresh()) : null)));
}

// A line of what is asked about: the payload's first short text (a title, a purpose).
function excerpt(payload) {
  const values = payload && typeof payload === "object" ? Object.values(payload) : [payload];
  const text = values.find((v) => typeof v === "string" && v.trim());
  if (!text) return "";
  const line = text.trim().split("\n")[0].replace(/^#+\s*/, "");
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

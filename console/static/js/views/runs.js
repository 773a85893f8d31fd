// Runs, newest first, filtered by status and workflow (the API does both) and paged with its cursor.
import { api, catalog, explain } from "../api.js";
import { ago, badge, h, queryOf, replace, shortId, timeElement } from "../dom.js";

const STATUSES = ["", "queued", "running", "waiting_for_input", "succeeded", "failed", "cancelled", "timed_out"];
const PAGE = 20;

export async function renderRuns(main, { query, navigate }) {
  const status = query.status || "";
  const workflow = query.workflow || "";
  const cursor = query.cursor || "";
  const previous = query.prev ? query.prev.split(",") : []; // cursors of the pages before, for "Previous"
  const known = await catalog();

  const go = (changes) => navigate(`#/runs${queryOf({ status, workflow, ...changes })}`);
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter runs", onsubmit: (e) => e.preventDefault() },
    h("div", { class: "field" }, h("label", { for: "r-status" }, "Status"),
      h("select", { id: "r-status", onchange: (e) => go({ status: e.target.value, cursor: "", prev: "" }) },
        STATUSES.map((s) => h("option", { value: s, selected: s === status }, s ? s.replaceAll("_", " ") : "Any status")))),
    h("div", { class: "field" }, h("label", { for: "r-workflow" }, "Workflow"),
      h("select", { id: "r-workflow", onchange: (e) => go({ workflow: e.target.value, cursor: "", prev: "" }) },
        h("option", { value: "" }, "All workflows"),
        known.map((w) => h("option", { value: w.name, selected: w.name === workflow }, w.name)))));
  const body = h("div", { id: "runs" }, h("p", { class: "loading", role: "status" }, "Loading runs…"));
  replace(main, h("h1", {}, "Runs"), form, body);

  try {
    const page = await api("/v1/runs", { query: { status, workflow, limit: PAGE, cursor } });
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
    const order = `Newest first${status ? `, ${status.replaceAll("_", " ")}` : ""}${workflow ? `, workflow ${workflow}` : ""}.`;
    replace(body, h("p", { class: "hint", id: "runs-order" }, order), table, pager);
  } catch (error) {
    replace(body, h("p", { class: "notice error", role: "alert" }, explain(error)));
  }
}

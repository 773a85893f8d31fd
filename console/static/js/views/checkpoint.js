// One checkpoint: what is asked (the payload, readably), the run's context, and the answer form built
// from the checkpoint's schemas. A 409 says who or what won instead.
import { api, ApiError, explain, pages } from "../api.js";
import { badge, countdown, facts, h, replace, shortId, timeElement } from "../dom.js";
import { jsonTree, readable } from "../render.js";
import { fromServerErrors, schemaForm } from "../schema-form.js";
import * as store from "../store.js";
import { assignControls } from "./assign.js";
import { audit, conflict, stepsOf, stepsTable } from "./common.js";

const POLL_MS = 4000;

export async function renderCheckpoint(main, { params }) {
  const [runId, checkpointId] = params;
  const base = `/v1/runs/${encodeURIComponent(runId)}`;
  const cpPath = `${base}/checkpoints/${encodeURIComponent(checkpointId)}`;
  let [checkpoint, run, events] = await Promise.all([
    api(cpPath),
    api(base),
    pages(`${base}/events`, { limit: 500 }, { cursorParam: "after", maxItems: 2000 }).then((r) => r.items),
  ]);

  const statusSlot = h("span", { id: "checkpoint-status" });
  const answerSection = h("section", { class: "panel", id: "answer", "aria-labelledby": "answer-title" });
  const notices = h("div", { id: "notices" });
  const factsSlot = h("div", { id: "checkpoint-facts" });
  const assignSlot = h("div", { id: "assign" });

  function renderHeader() {
    replace(statusSlot, badge(checkpoint.status), " ", badge(checkpoint.type, "kind"), " ",
      checkpoint.status === "pending" ? countdown(checkpoint.expires_at) : null);
    replace(factsSlot, facts([
      ["Checkpoint", h("code", {}, checkpoint.checkpoint_id)],
      ["Kind", `${checkpoint.name} (${checkpoint.type})`],
      ["Assignee", checkpoint.assignee || "anyone"],
      ["Asked", timeElement(checkpoint.created_at)],
      ["Deadline", checkpoint.expires_at ? timeElement(checkpoint.expires_at) : "none"],
      ["Settled", checkpoint.resolved_at ? timeElement(checkpoint.resolved_at) : null],
    ]));
    // Claim or reassign while it is pending; the controls are rebuilt only when that changes.
    const pending = checkpoint.status === "pending";
    if (pending !== Boolean(assignSlot.firstChild)) {
      replace(assignSlot, pending ? assignControls(checkpoint, (now) => {
        checkpoint = now;
        renderHeader();
        if (now.status !== "pending") renderAnswer();
        store.refresh();
      }) : null);
    }
  }

  // The steps up to this checkpoint (the one that asked is "waiting").
  const asked = events.find((e) => e.type === "checkpoint.created" && e.data.checkpoint_id === checkpointId);
  const steps = stepsOf(events.filter((e) => e.id <= (asked?.id ?? Infinity)));
  replace(main,
    h("p", { class: "crumbs" }, h("a", { href: "#/inbox" }, "Inbox"), " › ",
      h("a", { href: `#/runs/${encodeURIComponent(runId)}` }, `run ${shortId(runId)}`), " › ", checkpointId),
    h("h1", {}, checkpoint.prompt || checkpointId),
    h("div", { class: "header-row" }, statusSlot),
    notices,
    h("div", { class: "columns" },
      h("div", {},
        h("section", { class: "panel", "aria-labelledby": "payload-title" },
          h("h2", { id: "payload-title" }, "What is asked"),
          h("div", { id: "payload" }, readable(checkpoint.payload)),
          h("details", {}, h("summary", {}, "Payload as JSON"), jsonTree(checkpoint.payload, { label: "Payload" }))),
        answerSection),
      h("div", {},
        h("section", { class: "panel", "aria-labelledby": "checkpoint-title" }, h("h2", { id: "checkpoint-title" }, "Checkpoint"), factsSlot, assignSlot),
        h("section", { class: "panel", "aria-labelledby": "context-title" },
          h("h2", { id: "context-title" }, "The run"),
          facts([
            ["Workflow", `${run.workflow.name} ${run.workflow.version}`],
            ["Run", h("a", { href: `#/runs/${encodeURIComponent(runId)}`, id: "run-link" }, shortId(runId))],
            ["Status", badge(run.status)],
            ["Started", timeElement(run.created_at)],
          ]),
          h("h3", {}, "Input"), jsonTree(run.input, { label: "Run input" }),
          h("h3", {}, "Earlier steps"), stepsTable(steps, { compact: true })))));
  renderHeader();

  let answered = false;
  function renderAnswer() {
    if (checkpoint.status !== "pending") {
      replace(answerSection, h("h2", { id: "answer-title" }, "Answer"), audit(checkpoint),
        h("p", {}, h("a", { href: `#/runs/${encodeURIComponent(runId)}` }, "Follow the run")));
      return;
    }
    replace(answerSection, h("h2", { id: "answer-title" }, "Your answer"),
      checkpoint.type === "approval" ? approvalForm() : inputForm());
  }

  async function send(kind, body, onFieldErrors) {
    replace(notices);
    try {
      checkpoint = await api(`${cpPath}/${kind}`, { method: "POST", body });
      answered = true;
      renderHeader();
      replace(notices, h("div", { class: "notice success", role: "status", id: "answered" },
        h("p", {}, h("strong", {}, "Done."), " Your answer was recorded and the run resumes.")));
      renderAnswer();
      store.refresh();
      return true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 409) {
        // Who or what won: the problem carries the checkpoint as it is now (else read it again).
        checkpoint = error.problem.checkpoint || (await api(cpPath).catch(() => checkpoint));
        renderHeader();
        replace(notices, conflict(error.problem));
        renderAnswer();
        store.refresh();
      } else if (error.status === 422 && onFieldErrors && error.fieldErrors.length) {
        onFieldErrors(error.fieldErrors);
      } else {
        replace(notices, h("div", { class: "notice error", role: "alert" }, explain(error)));
      }
      return false;
    }
  }

  function approvalForm() {
    const comment = h("textarea", { id: "answer-comment", name: "comment", rows: 3, "aria-describedby": "answer-comment-hint answer-comment-error" });
    const error = h("p", { class: "field-error", id: "answer-comment-error" });
    const approve = h("button", { type: "submit", class: "ok", id: "approve", value: "approve" }, "Approve");
    const reject = h("button", { type: "submit", class: "danger", id: "reject", value: "reject" }, "Reject");
    const form = h("form", {
      id: "answer-form", novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const action = event.submitter?.value === "reject" ? "reject" : "approve";
        const text = comment.value.trim() || null;
        if (text && [...text].length > 4000) {
          error.textContent = "At most 4000 characters.";
          comment.setAttribute("aria-invalid", "true");
          comment.focus();
          return;
        }
        approve.disabled = true;
        reject.disabled = true;
        const body = action === "approve" ? { comment: text } : { reason: text };
        await send(action, body, (errors) => {
          error.textContent = `Server: ${errors.map((e) => e.message).join(" ")}`;
          comment.setAttribute("aria-invalid", "true");
          comment.focus();
        });
        approve.disabled = false;
        reject.disabled = false;
      },
    },
    h("div", { class: "field" },
      h("label", { for: "answer-comment" }, "Comment"),
      comment,
      h("p", { class: "hint", id: "answer-comment-hint" }, "Optional. Kept as the comment when you approve, as the reason when you reject."),
      error),
    h("div", { class: "actions" }, approve, reject));
    return form;
  }

  function inputForm() {
    const schema = checkpoint.response_schema || {};
    const built = schemaForm(schema, { idPrefix: "answer" });
    const summary = h("div", { id: "form-errors", role: "alert" });
    const json = h("textarea", { id: "answer-json", name: "json", rows: 10, class: "mono", spellcheck: "false", "aria-describedby": "answer-json-hint" });
    const jsonField = h("div", { class: "field", hidden: true },
      h("label", { for: "answer-json" }, "Answer as JSON"), json,
      h("p", { class: "hint", id: "answer-json-hint" }, "Sent as it is: the server checks it against the schema and names any field that doesn't fit."));
    const toggle = h("button", { type: "button", class: "secondary", id: "json-toggle", "aria-pressed": "false" }, "Edit as JSON");
    let jsonMode = false;
    const setMode = (asJson) => {
      jsonMode = asJson;
      if (asJson) json.value = JSON.stringify(built.value(), null, 2);
      built.element.hidden = asJson;
      jsonField.hidden = !asJson;
      toggle.textContent = asJson ? "Edit as a form" : "Edit as JSON";
      toggle.setAttribute("aria-pressed", String(asJson));
    };
    toggle.addEventListener("click", () => {
      if (jsonMode) {
        try {
          built.setValues(JSON.parse(json.value || "{}"));
        } catch {
          replace(summary, h("p", { class: "notice error" }, "That is not valid JSON."));
          return;
        }
      }
      replace(summary);
      setMode(!jsonMode);
    });
    const showUnplaced = (errors, source) => {
      const unplaced = built.showErrors(errors, source);
      const count = errors.length;
      replace(summary, h("div", { class: "notice error" },
        h("p", {}, `${count} ${count === 1 ? "field needs" : "fields need"} attention${source === "server" ? " (the server said so)" : ""}.`),
        unplaced.length ? h("ul", {}, unplaced.map((e) => h("li", {}, e.path ? `${e.path}: ${e.message}` : e.message))) : null));
    };
    const submit = h("button", { type: "submit", class: "ok", id: "submit" }, "Submit");
    return h("form", {
      id: "answer-form", novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        replace(summary);
        let data;
        if (jsonMode) {
          try {
            data = JSON.parse(json.value);
          } catch {
            replace(summary, h("p", { class: "notice error" }, "That is not valid JSON."));
            json.focus();
            return;
          }
          if (!data || typeof data !== "object" || Array.isArray(data)) {
            replace(summary, h("p", { class: "notice error" }, "The answer must be a JSON object."));
            return;
          }
        } else {
          const checked = built.check();
          if (checked.errors.length) {
            showUnplaced(checked.errors, "browser");
            return;
          }
          data = checked.data;
          built.clearErrors();
        }
        submit.disabled = true;
        await send("input", { data }, (errors) => {
          // Back to the form, with the server's errors beside the fields they name.
          if (jsonMode) {
            built.setValues(data);
            setMode(false);
          }
          showUnplaced(fromServerErrors(errors), "server");
        });
        submit.disabled = false;
      },
    },
    built.element, jsonField, summary,
    h("div", { class: "actions" }, submit, toggle));
  }

  renderAnswer();

  // While it is pending, someone else may answer it, or its deadline pass, or its run be cancelled.
  let stopped = false;
  let timer = 0;
  const poll = async () => {
    if (stopped || checkpoint.status !== "pending") return;
    if (document.visibilityState === "visible") {
      try {
        const now = await api(cpPath);
        if (!stopped && now.status === "pending" && now.assignee !== checkpoint.assignee) {
          checkpoint = now; // claimed or reassigned elsewhere: the facts say so
          renderHeader();
        }
        if (!stopped && !answered && now.status !== "pending") {
          checkpoint = now;
          renderHeader();
          replace(notices, h("div", { class: "notice conflict", role: "alert", id: "settled-elsewhere" },
            h("p", {}, h("strong", {}, "This checkpoint was settled while you were looking.")), audit(now)));
          renderAnswer();
          return;
        }
      } catch { /* the next poll tries again */ }
    }
    timer = setTimeout(poll, POLL_MS);
  };
  timer = setTimeout(poll, POLL_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

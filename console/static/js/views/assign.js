// Claim or reassign a pending checkpoint (POST .../assign). Shared by the checkpoint page and the inbox.
import { api, ApiError, explain } from "../api.js";
import { h, replace } from "../dom.js";

export function assignPath(runId, checkpointId) {
  return `/v1/runs/${encodeURIComponent(runId)}/checkpoints/${encodeURIComponent(checkpointId)}/assign`;
}

// Send one change; resolves to { checkpoint } or { error: sentence, checkpoint?: as it is now }.
export async function changeAssignee(runId, checkpointId, body) {
  try {
    return { checkpoint: await api(assignPath(runId, checkpointId), { method: "POST", body }) };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const field = error.fieldErrors[0];
    return { error: field ? `${field.field}: ${field.message}` : explain(error), checkpoint: error.problem.checkpoint };
  }
}

// The controls of the checkpoint page: Claim, and Reassign to a name (empty: nobody). `onChanged` gets the
// checkpoint as the API returned it (also after a 409, which carries it).
export function assignControls(checkpoint, onChanged) {
  const result = h("p", { id: "assign-result", role: "status", "aria-live": "polite" });
  const name = h("input", { id: "assign-name", name: "assignee", type: "text", autocomplete: "off", maxlength: 200,
    value: checkpoint.assignee || "", "aria-describedby": "assign-hint assign-result" });
  const buttons = [];
  const run = async (body, done) => {
    for (const b of buttons) b.disabled = true;
    const outcome = await changeAssignee(checkpoint.run_id, checkpoint.checkpoint_id, body);
    for (const b of buttons) b.disabled = false;
    if (outcome.checkpoint) onChanged(outcome.checkpoint);
    result.className = outcome.error ? "field-error" : "";
    result.textContent = outcome.error || done(outcome.checkpoint);
  };
  const claim = h("button", { type: "button", id: "claim", onclick: () =>
    run({ claim: true }, (c) => `Claimed: assigned to ${c.assignee}.`) }, "Claim");
  const reassign = h("button", { type: "submit", class: "secondary", id: "reassign" }, "Reassign");
  buttons.push(claim, reassign);
  const form = h("form", { id: "assign-form", novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    const assignee = name.value.trim() || null;
    run({ assignee }, (c) => (c.assignee ? `Reassigned to ${c.assignee}.` : "Unassigned: it waits for anyone."));
  } },
  h("div", { class: "field" }, h("label", { for: "assign-name" }, "Assign to"), name,
    h("p", { class: "hint", id: "assign-hint" }, "A name, or empty for anyone. Claim assigns it to you.")),
  h("div", { class: "actions" }, claim, reassign), result);
  return form;
}

// The inbox card's Claim button: claims, then says what happened next to itself.
export function claimButton(c, onDone) {
  const said = h("span", { class: "claim-result", role: "status" });
  const button = h("button", { type: "button", class: "secondary claim", onclick: async () => {
    button.disabled = true;
    const outcome = await changeAssignee(c.run_id, c.checkpoint_id, { claim: true });
    button.disabled = false;
    replace(said, outcome.error || `claimed for ${outcome.checkpoint.assignee}`);
    onDone();
  } }, "Claim");
  return h("span", {}, button, " ", said);
}

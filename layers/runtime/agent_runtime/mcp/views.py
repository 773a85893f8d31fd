"""Engine objects as MCP shapes: workflows as tools, runs as tool results and tasks (the Tasks
extension's DetailedTask), a pending checkpoint as an elicitation input request, events as progress
notifications."""

from __future__ import annotations

from typing import Any

from agent_runtime.engine import budget
from agent_runtime.engine.model import Checkpoint, Event, Run, RunStatus
from agent_runtime.workflows.sdk import Workflow

# `_meta` keys of this server's own facts (the spec's reserved prefix is io.modelcontextprotocol/).
RUN_META = "io.agent-runtime/run"
CHECKPOINT_META = "io.agent-runtime/checkpoint"
EVENT_META = "io.agent-runtime/event"
WORKFLOW_META = "io.agent-runtime/workflow"

# How often a client should poll a task: a step commits in well under a second, a human takes longer.
POLL_INTERVAL_MS = 1000
WAITING_POLL_INTERVAL_MS = 5000

TASK_STATUS: dict[str, str] = {
    RunStatus.QUEUED: "working",
    RunStatus.RUNNING: "working",
    RunStatus.WAITING_FOR_INPUT: "input_required",
    RunStatus.SUCCEEDED: "completed",
    RunStatus.FAILED: "completed",  # the workflow failed: a tool error (isError), not a JSON-RPC one
    RunStatus.TIMED_OUT: "completed",
    RunStatus.CANCELLED: RunStatus.CANCELLED,
}


def tool(workflow: Workflow) -> dict[str, Any]:
    """A workflow as a tool: its input schema is the tool's, its output schema the result's."""
    schemas = workflow.schemas()
    return {
        "name": workflow.name,
        "title": workflow.name,
        "description": workflow.description or f"Runs the {workflow.name} workflow.",
        "inputSchema": schemas["input"],
        "outputSchema": schemas["output"],
        "annotations": {"readOnlyHint": False, "openWorldHint": False},
        "_meta": {
            WORKFLOW_META: {
                "version": workflow.version,
                "schema_hash": workflow.schema_hash,
                "checkpoints": sorted(workflow.checkpoints),
            }
        },
    }


def _run_meta(run: Run) -> dict[str, Any]:
    return {RUN_META: {"id": run.run_id, "status": run.status, "workflow": run.workflow_name}}


# An output up to this size is also sent as text, for clients that read only content; a larger one
# (outputs reach 2 MiB) only as structured content, so a response never holds it twice.
TEXT_COPY_BYTES = 64 * 1024


def call_result(run: Run) -> dict[str, Any]:
    """A finished run as CallToolResult: the output as structured content (and as text when small);
    a failed, timed-out or cancelled run is a tool error the model can read."""
    if run.status == RunStatus.SUCCEEDED:
        text = budget.compact_json(run.output)
        if len(text.encode()) > TEXT_COPY_BYTES:
            text = f"the output ({len(text.encode())} bytes of JSON) is in structuredContent"
        return {
            "resultType": "complete",
            "content": [{"type": "text", "text": text}],
            "structuredContent": run.output,
            "isError": False,
            "_meta": _run_meta(run),
        }
    error = run.error or {}
    message = str(error.get("message") or error.get("type") or run.status)
    return {
        "resultType": "complete",
        "content": [{"type": "text", "text": f"the run {run.status.replace('_', ' ')}: {message}"}],
        "isError": True,
        "_meta": _run_meta(run),
    }


def still_running(run: Run) -> dict[str, Any]:
    """A run still going when a client that takes no tasks has waited as long as one call may."""
    return {
        "resultType": "complete",
        "content": [
            {
                "type": "text",
                "text": f"run {run.run_id} is still {run.status}: declare the "
                "io.modelcontextprotocol/tasks extension to follow it as a task",
            }
        ],
        "isError": True,
        "_meta": _run_meta(run),
    }


def form_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's response schema in elicitation's form subset (an object of primitive fields):
    an optional field (`anyOf [T, null]`) is T, and null defaults are left out. Fields that aren't
    primitive stay as they are; the full schema is in the request's `_meta` either way."""
    properties: dict[str, Any] = {}
    for name, field in (schema.get("properties") or {}).items():
        if not isinstance(field, dict):
            continue
        shown = dict(field)
        options = shown.get("anyOf")
        if isinstance(options, list):
            concrete = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
            if len(concrete) == 1:
                shown.pop("anyOf")
                shown = {**concrete[0], **shown}
        if shown.get("default", 0) is None:
            shown.pop("default")
        properties[name] = shown
    form: dict[str, Any] = {"type": "object", "properties": properties}
    if schema.get("required"):
        form["required"] = list(schema["required"])
    return form


def input_request(checkpoint: Checkpoint) -> dict[str, Any]:
    """A pending checkpoint as an `elicitation/create` form: its prompt, its response schema."""
    return {
        "method": "elicitation/create",
        "params": {
            "mode": "form",
            "message": checkpoint.prompt,
            "requestedSchema": form_schema(checkpoint.response_schema),
            "_meta": {
                CHECKPOINT_META: {
                    "id": checkpoint.checkpoint_id,
                    "name": checkpoint.name,
                    "type": checkpoint.type,
                    "payload": checkpoint.payload,
                    "responseSchema": checkpoint.response_schema,
                    "expiresAt": checkpoint.expires_at,
                }
            },
        },
    }


def task(run: Run, checkpoint: Checkpoint | None = None) -> dict[str, Any]:
    """A run as a DetailedTask (tasks/get's shape without resultType). `checkpoint`: the pending one
    of a run waiting for input."""
    status = TASK_STATUS[run.status]
    body: dict[str, Any] = {
        "taskId": run.run_id,
        "status": status,
        "statusMessage": run.status.replace("_", " "),
        "createdAt": run.created_at,
        "lastUpdatedAt": run.updated_at,
        "ttlMs": None,  # runs are kept until deleted
        "pollIntervalMs": POLL_INTERVAL_MS,
    }
    if status == "input_required":
        body["pollIntervalMs"] = WAITING_POLL_INTERVAL_MS
        body["inputRequests"] = {checkpoint.checkpoint_id: input_request(checkpoint)} if checkpoint else {}
        if checkpoint is not None:
            body["statusMessage"] = checkpoint.prompt
    elif status == "completed":
        body["result"] = call_result(run)
    return body


def progress(token: str | int, event: Event) -> dict[str, Any]:
    """A run's event as a progress notification: its gap-free id is the progress, the event itself in
    `_meta`."""
    return {
        "jsonrpc": "2.0",
        "method": "notifications/progress",
        "params": {
            "progressToken": token,
            "progress": event.seq,
            "message": event.type,
            "_meta": {
                EVENT_META: {
                    "id": event.seq,
                    "type": event.type,
                    "data": event.data,
                    "created_at": event.created_at,
                }
            },
        },
    }

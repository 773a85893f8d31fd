"""Engine objects in A2A 1.0's shapes (ProtoJSON): runs are Tasks, run statuses task states, a pending
checkpoint the INPUT_REQUIRED status message (its prompt, payload and response schema), the output
and the run's files Artifacts (file parts point at pre-signed URLs), events stream updates."""

from __future__ import annotations

from typing import Any

from agent_runtime.engine import Engine
from agent_runtime.engine.model import TERMINAL_STATUSES, Checkpoint, Event, Run, RunStatus
from agent_runtime.errors import NotFound

STATE: dict[str, str] = {
    RunStatus.QUEUED: "TASK_STATE_SUBMITTED",
    RunStatus.RUNNING: "TASK_STATE_WORKING",
    RunStatus.WAITING_FOR_INPUT: "TASK_STATE_INPUT_REQUIRED",
    RunStatus.SUCCEEDED: "TASK_STATE_COMPLETED",
    RunStatus.FAILED: "TASK_STATE_FAILED",
    RunStatus.CANCELLED: "TASK_STATE_CANCELED",
    RunStatus.TIMED_OUT: "TASK_STATE_FAILED",
}
# ListTasks' status filter: the run status each task state stands for (FAILED: failed; timed_out runs
# are listed under no filter, shown as FAILED).
RUN_STATUS: dict[str, str] = {
    "TASK_STATE_SUBMITTED": RunStatus.QUEUED,
    "TASK_STATE_WORKING": RunStatus.RUNNING,
    "TASK_STATE_INPUT_REQUIRED": RunStatus.WAITING_FOR_INPUT,
    "TASK_STATE_COMPLETED": RunStatus.SUCCEEDED,
    "TASK_STATE_FAILED": RunStatus.FAILED,
    "TASK_STATE_CANCELED": RunStatus.CANCELLED,
}
# A stream (and a blocking SendMessage) ends when the task is terminal or interrupted.
SETTLED: frozenset[str] = TERMINAL_STATUSES | {RunStatus.WAITING_FOR_INPUT}
OUTPUT_ARTIFACT = "output"


def context_of(run: Run) -> str:
    """A task's contextId: its run's thread (A2A runs always have one), else the run itself."""
    return run.thread_id or run.run_id


def text_of(output: Any) -> str | None:
    """The text a client most likely wants from an output: its last message's content, or a `text`."""
    if isinstance(output, dict):
        messages = output.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            content = messages[-1].get("content")
            if isinstance(content, str):
                return content
        if isinstance(output.get("text"), str):
            return str(output["text"])
    return output if isinstance(output, str) else None


def agent_message(run: Run, message_id: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "contextId": context_of(run),
        "taskId": run.run_id,
        "role": "ROLE_AGENT",
        "parts": parts,
    }


def checkpoint_message(run: Run, checkpoint: Checkpoint) -> dict[str, Any]:
    """What the task waits for: the prompt as text, and the checkpoint (payload, response schema) as
    data. Answer it with a message on the task: a data part matching `responseSchema`."""
    data = {
        "checkpointId": checkpoint.checkpoint_id,
        "name": checkpoint.name,
        "type": checkpoint.type,
        "payload": checkpoint.payload,
        "responseSchema": checkpoint.response_schema,
    }
    if checkpoint.expires_at:
        data["expiresAt"] = checkpoint.expires_at
    parts: list[dict[str, Any]] = []
    if checkpoint.prompt:
        parts.append({"text": checkpoint.prompt, "mediaType": "text/plain"})
    parts.append({"data": data, "mediaType": "application/json"})
    return agent_message(run, f"{run.run_id}:{checkpoint.checkpoint_id}", parts)


def error_message(run: Run, status: str, error: dict[str, Any] | None) -> dict[str, Any]:
    text = (error or {}).get("message") or (
        "the task was canceled" if status == RunStatus.CANCELLED else f"the task ended {status}"
    )
    parts: list[dict[str, Any]] = [{"text": str(text), "mediaType": "text/plain"}]
    if error:
        parts.append({"data": {"error": error, "status": status}, "mediaType": "application/json"})
    return agent_message(run, f"{run.run_id}:{status}", parts)


def status(engine: Engine, run: Run) -> dict[str, Any]:
    body: dict[str, Any] = {"state": STATE[run.status], "timestamp": run.updated_at}
    if run.status == RunStatus.WAITING_FOR_INPUT:
        checkpoint = engine.checkpoints.pending(run.run_id)
        if checkpoint is not None:
            body["message"] = checkpoint_message(run, checkpoint)
    elif run.status in {RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT}:
        body["message"] = error_message(run, run.status, run.error)
    return body


def output_artifact(output: Any) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"data": output, "mediaType": "application/json"}]
    text = text_of(output)
    if text is not None:
        parts.append({"text": text, "mediaType": "text/plain"})
    return {"artifactId": OUTPUT_ARTIFACT, "name": "output", "parts": parts}


def file_artifact(engine: Engine, tenant_id: str, artifact_id: str) -> dict[str, Any] | None:
    try:
        download = engine.artifacts.get(tenant_id, artifact_id)
    except NotFound:
        return None  # past its retention
    artifact = download.artifact
    return {
        "artifactId": artifact.artifact_id,
        "name": artifact.name,
        "parts": [{"url": download.url, "filename": artifact.name, "mediaType": artifact.content_type}],
        "metadata": {
            "size": artifact.size,
            "sha256": artifact.sha256,
            "step": artifact.step,
            "urlExpiresAt": download.expires_at,
        },
    }


def artifacts(engine: Engine, run: Run) -> list[dict[str, Any]]:
    out = []
    for artifact in engine.artifacts.list_for_run(run.tenant_id, run.run_id):
        shaped = file_artifact(engine, run.tenant_id, artifact.artifact_id)
        if shaped is not None:
            out.append(shaped)
    if run.status == RunStatus.SUCCEEDED:
        out.append(output_artifact(run.output))
    return out


def user_message(run: Run) -> dict[str, Any]:
    """The message that created the task (A2A runs keep it; other doors' runs show their input)."""
    stored = run.protocol_options.get("message")
    if isinstance(stored, dict):
        return {**stored, "taskId": run.run_id}
    return {
        "messageId": f"{run.run_id}:input",
        "contextId": context_of(run),
        "taskId": run.run_id,
        "role": "ROLE_USER",
        "parts": [{"data": run.input, "mediaType": "application/json"}],
    }


def answer_message(run: Run, checkpoint: Checkpoint) -> dict[str, Any]:
    """How a checkpoint was answered: the A2A client's own message when one answered it, else the
    resolution (an answer through another door, or an expiry) as a data part."""
    if checkpoint.origin and checkpoint.resolution and checkpoint.resolution.get("via") == "a2a":
        return {**checkpoint.origin, "contextId": context_of(run), "taskId": run.run_id}
    resolution = checkpoint.resolution or {}
    answer = {k: v for k, v in resolution.items() if k not in {"by", "at"} and v is not None}
    return {
        "messageId": f"{run.run_id}:{checkpoint.checkpoint_id}:answer",
        "contextId": context_of(run),
        "taskId": run.run_id,
        "role": "ROLE_USER",
        "parts": [{"data": answer, "mediaType": "application/json"}],
    }


def history(engine: Engine, run: Run, length: int | None) -> list[dict[str, Any]]:
    """The task's turns: the first message, then each checkpoint's question and answer."""
    if length == 0:
        return []

    def turns_of(checkpoint: Checkpoint) -> list[dict[str, Any]]:
        asked = [checkpoint_message(run, checkpoint)]
        if not checkpoint.resolution:
            return asked
        return [*asked, answer_message(run, checkpoint)]

    page = engine.checkpoints.list_for_run(run.tenant_id, run.run_id, None, turns_of)
    turns = [user_message(run), *(turn for pair in page.data for turn in pair)]
    return turns[-length:] if length else turns


def task(
    engine: Engine,
    run: Run,
    *,
    history_length: int | None = None,
    include_artifacts: bool = True,
    event_id: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"id": run.run_id, "contextId": context_of(run), "status": status(engine, run)}
    if include_artifacts:
        body["artifacts"] = artifacts(engine, run)
    turns = history(engine, run, history_length)
    if turns:
        body["history"] = turns
    metadata: dict[str, Any] = {
        "workflow": {"name": run.workflow_name, "version": run.workflow_version},
        "createdAt": run.created_at,
    }
    if event_id is not None:
        metadata["eventId"] = event_id
    body["metadata"] = metadata
    return body


def _status_update(
    run: Run, event: Event, state: str, message: dict[str, Any] | None = None
) -> dict[str, Any]:
    status_body: dict[str, Any] = {"state": state, "timestamp": event.created_at}
    if message is not None:
        status_body["message"] = message
    return {
        "statusUpdate": {
            "taskId": run.run_id,
            "contextId": context_of(run),
            "status": status_body,
            "metadata": {"eventId": event.seq, "event": event.type},
        }
    }


def _artifact_update(
    run: Run, event: Event, artifact: dict[str, Any], *, append: bool = False, last_chunk: bool = True
) -> dict[str, Any]:
    return {
        "artifactUpdate": {
            "taskId": run.run_id,
            "contextId": context_of(run),
            "artifact": artifact,
            "append": append,
            "lastChunk": last_chunk,
            "metadata": {"eventId": event.seq, "event": event.type},
        }
    }


def stream_responses(engine: Engine, run: Run, event: Event) -> list[dict[str, Any]]:
    """The StreamResponses one engine event becomes (none for events A2A clients don't see). `run` is
    the task as the stream began: statuses come from the events, never from a later read."""
    kind = event.type
    if kind == "run.created":
        return [_status_update(run, event, "TASK_STATE_SUBMITTED")]
    if kind == "run.started":
        return [_status_update(run, event, "TASK_STATE_WORKING")]
    if kind == "checkpoint.created":
        checkpoint = engine.checkpoints.find(run.run_id, str(event.data.get("checkpoint_id")))
        message = checkpoint_message(run, checkpoint) if checkpoint is not None else None
        return [_status_update(run, event, "TASK_STATE_INPUT_REQUIRED", message)]
    if kind == "checkpoint.resolved" or (
        kind == "checkpoint.expired" and event.data.get("on_timeout", "continue") == "continue"
    ):
        return [_status_update(run, event, "TASK_STATE_WORKING")]
    if kind == "artifact.created":
        artifact = file_artifact(engine, run.tenant_id, str(event.data.get("artifact_id")))
        return [_artifact_update(run, event, artifact)] if artifact is not None else []
    if kind in {MESSAGE_DELTA, MESSAGE_COMPLETED}:
        return [_message_update(run, event)]
    if kind == "run.succeeded":
        return [
            _artifact_update(run, event, output_artifact(event.data.get("output"))),
            _status_update(run, event, "TASK_STATE_COMPLETED"),
        ]
    if kind in {"run.failed", "run.cancelled", "run.timed_out"}:
        ended = kind.removeprefix("run.")
        message = error_message(run, ended, event.data.get("error"))
        return [_status_update(run, event, STATE[ended], message)]
    return []


# A model's answer (agent_runtime/models/events.py) streams as one artifact per message: each delta's
# text appended, then the whole message in place of the pieces, as the last chunk.
MESSAGE_DELTA = "message.delta"
MESSAGE_COMPLETED = "message.completed"


def _message_update(run: Run, event: Event) -> dict[str, Any]:
    data = event.data
    message_id = str(data.get("message_id"))
    if event.type == MESSAGE_DELTA:
        piece = {"artifactId": message_id, "name": "message", "parts": [{"text": str(data.get("text", ""))}]}
        return _artifact_update(run, event, piece, append=data.get("index") != 0, last_chunk=False)
    message = data.get("message")
    parts = message.get("parts", []) if isinstance(message, dict) else []
    text = "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text")
    artifact: dict[str, Any] = {
        "artifactId": message_id,
        "name": "message",
        "parts": [{"text": text}],
        "metadata": {"stopReason": data.get("stop_reason"), "usage": data.get("usage")},
    }
    return _artifact_update(run, event, artifact)

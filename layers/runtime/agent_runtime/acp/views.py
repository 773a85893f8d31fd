"""Engine objects in ACP 0.2.3's shapes: Run (stateless or on a thread), RunOutput, stream updates,
Thread and ThreadState. Status names are ACP's: pending, interrupted, success, error, timeout."""

from __future__ import annotations

from typing import Any

from agent_runtime.acp.agents import agent_id_of
from agent_runtime.engine import Engine
from agent_runtime.engine.model import (
    TERMINAL_STATUSES,
    Checkpoint,
    Event,
    Run,
    RunProgress,
    RunStatus,
    Thread,
    ThreadSnapshot,
)

ACP_STATUS: dict[str, str] = {
    RunStatus.QUEUED: "pending",
    RunStatus.RUNNING: "pending",
    RunStatus.WAITING_FOR_INPUT: "interrupted",
    RunStatus.SUCCEEDED: "success",
    RunStatus.FAILED: "error",
    RunStatus.CANCELLED: "error",
    RunStatus.TIMED_OUT: "timeout",
}
# RunError.errcode is an integer: HTTP-like codes for why the run ended without a result.
ERROR_CODES: dict[str, int] = {RunStatus.FAILED: 500, RunStatus.CANCELLED: 499, RunStatus.TIMED_OUT: 504}
THREAD_STATUS: dict[str, str] = {
    RunStatus.QUEUED: "busy",
    RunStatus.RUNNING: "busy",
    RunStatus.WAITING_FOR_INPUT: "interrupted",
    RunStatus.FAILED: "error",
    RunStatus.TIMED_OUT: "error",
}
# An ACP stream ends when the run ends or is interrupted.
SETTLED_STATUSES: frozenset[str] = TERMINAL_STATUSES | {RunStatus.WAITING_FOR_INPUT}
LIFECYCLE_PREFIXES = frozenset({"run", "step", "checkpoint", "artifact"})


def acp_run(run: Run, *, status: str | None = None, updated_at: str | None = None) -> dict[str, Any]:
    """RunStateless, or RunStateful when the run belongs to a thread (`status`/`updated_at` override
    the run's, for a webhook describing an earlier change)."""
    options = dict(run.protocol_options)
    config = {**options.pop("config_extra", {}), "configurable": run.config}
    creation: dict[str, Any] = {
        "agent_id": agent_id_of(run.workflow_name, run.workflow_version),
        "input": run.input,
        "config": config,  # ACP's shape: the agent's config is `configurable`
        "metadata": run.metadata,
        **options,
    }
    if run.callback_url:
        creation["webhook"] = run.callback_url
    body: dict[str, Any] = {
        "run_id": run.run_id,
        "agent_id": creation["agent_id"],
        "created_at": run.created_at,
        "updated_at": updated_at or run.updated_at,
        "status": ACP_STATUS[status or run.status],
        "creation": creation,
    }
    if run.thread_id:
        body["thread_id"] = run.thread_id
    return body


def interrupt_of(checkpoint: Checkpoint) -> dict[str, Any]:
    """ACP interrupts are keyed by their type: {"<interrupt_type>": payload}."""
    return {checkpoint.name: checkpoint.payload}


def _error(run_id: str, status: str, error: dict[str, Any] | None) -> dict[str, Any]:
    description = (error or {}).get("message") or (
        "the run was cancelled" if status == RunStatus.CANCELLED else status
    )
    return {"type": "error", "run_id": run_id, "errcode": ERROR_CODES[status], "description": description}


def run_output(engine: Engine, run: Run) -> dict[str, Any] | None:
    """RunOutput: a result, an interrupt, or an error; None while the run is pending."""
    if run.status == RunStatus.SUCCEEDED:
        return {"type": "result", "values": run.output}
    if run.status in ERROR_CODES:
        return _error(run.run_id, run.status, run.error)
    if run.status == RunStatus.WAITING_FOR_INPUT:
        checkpoint = engine.checkpoints.pending(run.run_id)
        if checkpoint is not None:
            return {"type": "interrupt", "interrupt": interrupt_of(checkpoint)}
    return None


def stream_updates(engine: Engine, run: RunProgress, event: Event, modes: set[str]) -> list[dict[str, Any]]:
    """The ACP stream updates of one runtime event (none if ACP clients don't see it). A run's output
    comes as the agent's last values while the run is still pending (as the reference agent's graph
    streams its state), then once more with the run's final status."""
    if event.type == "run.succeeded":
        values = {"type": "values", "run_id": run.run_id, "values": event.data.get("output")}
        return [{**values, "status": "pending"}, {**values, "status": "success"}]
    update = stream_update(engine, run, event, modes)
    return [update] if update is not None else []


def has_output(engine: Engine, run: RunProgress) -> bool:
    """Whether run_output has something for the run: it ended, or it is interrupted."""
    if run.status in ERROR_CODES or run.status == RunStatus.SUCCEEDED:
        return True
    return run.status == RunStatus.WAITING_FOR_INPUT and engine.checkpoints.pending(run.run_id) is not None


def stream_update(engine: Engine, run: RunProgress, event: Event, modes: set[str]) -> dict[str, Any] | None:
    """The ACP stream update for one runtime event, or None if ACP clients don't see it."""
    if event.type == "run.succeeded":
        return {
            "type": "values",
            "run_id": run.run_id,
            "status": "success",
            "values": event.data.get("output"),
        }
    if event.type in {"run.failed", "run.cancelled", "run.timed_out"}:
        # From the event, not the run: the run may have been read before it ended.
        ended = event.type.removeprefix("run.")
        return {**_error(run.run_id, ended, event.data.get("error")), "status": ACP_STATUS[ended]}
    if event.type == "checkpoint.created":
        checkpoint = engine.checkpoints.find(run.run_id, str(event.data.get("checkpoint_id")))
        if checkpoint is None or checkpoint.status != "pending":
            return None  # answered since: a client streaming now is not asked again
        return {
            "type": "interrupt",
            "run_id": run.run_id,
            "status": "interrupted",
            "interrupt": interrupt_of(checkpoint),
        }
    if "custom" in modes and event.type.split(".", 1)[0] not in LIFECYCLE_PREFIXES:
        return {
            "type": "custom",
            "run_id": run.run_id,
            "status": ACP_STATUS[run.status],
            "update": {"event": event.type, **event.data},
        }
    return None


def messages_view(messages: Any) -> list[dict[str, Any]]:
    """ACP Messages ({role, content}); workflows that speak {type, content} map type to role."""
    out = []
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and isinstance(message.get("content"), str | list):
            role = message.get("role") or message.get("type") or "assistant"
            out.append({"role": str(role), "content": message["content"]})
    return out


def thread_status(thread: Thread) -> str:
    return THREAD_STATUS.get(thread.current_run_status or "", "idle")


def acp_thread(thread: Thread) -> dict[str, Any]:
    body: dict[str, Any] = {
        "thread_id": thread.thread_id,
        "created_at": thread.created_at,
        "updated_at": thread.updated_at,
        "metadata": thread.metadata,
        "status": thread_status(thread),
        "messages": messages_view(thread.messages),
    }
    if thread.values is not None:
        body["values"] = thread.values
    return body


def thread_state(snapshot: ThreadSnapshot) -> dict[str, Any]:
    return {
        "checkpoint": {"checkpoint_id": snapshot.checkpoint_id},
        # ThreadState.values is an object: a state that has none yet (a copy of a new thread) is {}.
        "values": snapshot.values if snapshot.values is not None else {},
        "messages": messages_view(snapshot.messages),
        "metadata": snapshot.metadata,
    }

"""The runtime's runs, checkpoints and events in ACP's shapes (Run, RunOutput, stream updates)."""

from __future__ import annotations

import json
from typing import Any

from agent_runtime.acp.agents import agent_id_of
from agent_runtime.models import Event
from agent_runtime.store import checkpoints as checkpoint_store
from agent_runtime.store import payloads
from agent_runtime.store.checkpoints import CheckpointRecord
from agent_runtime.store.runs import RunRecord

ACP_STATUS = {
    "queued": "pending",
    "running": "pending",
    "waiting_for_input": "interrupted",
    "succeeded": "success",
    "failed": "error",
    "cancelled": "error",
    "timed_out": "timeout",
}
# RunError.errcode is an integer: HTTP-like codes for why the run ended without a result.
ERROR_CODES = {"failed": 500, "cancelled": 499, "timed_out": 504}


def acp_run(record: RunRecord) -> dict[str, Any]:
    """RunStateless, or RunStateful when the run belongs to a thread."""
    options = json.loads(record.protocol_options)
    config = {**options.pop("config_extra", {}), "configurable": payloads.load(record.config)}
    creation: dict[str, Any] = {
        "agent_id": agent_id_of(record.workflow_name, record.workflow_version),
        "input": payloads.load(record.input),
        "config": config,  # ACP's shape: the agent's config is `configurable`
        "metadata": json.loads(record.metadata),
        **options,
    }
    if record.callback_url:
        creation["webhook"] = record.callback_url
    run: dict[str, Any] = {
        "run_id": record.run_id,
        "agent_id": creation["agent_id"],
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "status": ACP_STATUS[record.status],
        "creation": creation,
    }
    if record.thread_id:
        run["thread_id"] = record.thread_id
    return run


def pending_checkpoint(record: RunRecord) -> CheckpointRecord | None:
    if record.status != "waiting_for_input":
        return None
    pending = [c for c in checkpoint_store.list_for_run(record.run_id) if c.status == "pending"]
    return pending[0] if pending else None


def interrupt_of(checkpoint: CheckpointRecord) -> dict[str, Any]:
    """ACP interrupts are keyed by their type: {"<interrupt_type>": payload}."""
    return {checkpoint.name: payloads.load(checkpoint.payload)}


def _error(run_id: str, status: str, error: dict[str, Any] | None) -> dict[str, Any]:
    description = (error or {}).get("message") or (
        "the run was cancelled" if status == "cancelled" else status
    )
    return {"type": "error", "run_id": run_id, "errcode": ERROR_CODES[status], "description": description}


def _record_error(record: RunRecord) -> dict[str, Any]:
    return _error(record.run_id, record.status, json.loads(record.error) if record.error else None)


def run_output(record: RunRecord) -> dict[str, Any] | None:
    """RunOutput: a result, an interrupt, or an error; None while the run is pending."""
    if record.status == "succeeded":
        return {"type": "result", "values": payloads.load(record.output)}
    if record.status in ERROR_CODES:
        return _record_error(record)
    checkpoint = pending_checkpoint(record)
    if checkpoint is not None:
        return {"type": "interrupt", "interrupt": interrupt_of(checkpoint)}
    return None


def stream_update(record: RunRecord, event: Event, modes: set[str]) -> dict[str, Any] | None:
    """The ACP stream update for one runtime event, or None if ACP clients don't see it."""
    status = ACP_STATUS[record.status]
    if event.type == "run.succeeded":
        return {
            "type": "values",
            "run_id": record.run_id,
            "status": "success",
            "values": event.data.get("output"),
        }
    if event.type in {"run.failed", "run.cancelled", "run.timed_out"}:
        # From the event, not the run: the run may have been read before it ended.
        ended = event.type.removeprefix("run.")
        return {**_error(record.run_id, ended, event.data.get("error")), "status": ACP_STATUS[ended]}
    if event.type == "checkpoint.created":
        checkpoint = checkpoint_store.find(record.run_id, str(event.data.get("checkpoint_id")))
        if checkpoint is None or checkpoint.status != "pending":
            return None  # answered since: a client streaming now is not asked again
        return {
            "type": "interrupt",
            "run_id": record.run_id,
            "status": "interrupted",
            "interrupt": interrupt_of(checkpoint),
        }
    if "custom" in modes and event.type.split(".", 1)[0] not in {"run", "step", "checkpoint", "artifact"}:
        return {
            "type": "custom",
            "run_id": record.run_id,
            "status": status,
            "update": {"event": event.type, **event.data},
        }
    return None

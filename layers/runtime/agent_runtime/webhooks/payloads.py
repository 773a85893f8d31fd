"""The body of a webhook: one function for every protocol, so v1 and ACP callbacks can't drift.

v1: {"type", "event_id", "run_id", "occurred_at", "data": {"run", "checkpoint"?, "artifact"?}}, the
run (and checkpoint) as the API returns them when the delivery is prepared. `event_id` is the event's
gap-free sequence number: receivers order by it and drop what they have already seen.
ACP ("acp"): the ACP Run object, as the spec's callback says, on each change of its ACP status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from agent_runtime.acp.mapping import acp_run
from agent_runtime.store import checkpoints as checkpoint_store
from agent_runtime.store.runs import RunRecord

TRIGGERS = frozenset(
    {
        "run.created",
        "run.started",
        "run.succeeded",
        "run.failed",
        "run.cancelled",
        "run.timed_out",
        "checkpoint.created",
        "checkpoint.resolved",
        "checkpoint.expired",
        "checkpoint.cancelled",
        "artifact.created",
    }
)


# ACP's callback is "runstatuschange": an ACP run's webhook fires when its ACP status changes, and
# carries the status the run changed to then (the run may be further along when the delivery is made).
def _status_at(event_type: str, data: Mapping[str, Any]) -> str | None:
    if event_type in {"checkpoint.resolved", "checkpoint.expired"}:
        # An expiry that fails the run is followed by run.timed_out in the same commit.
        return "running" if data.get("on_timeout", "continue") == "continue" else None
    return {
        "run.created": "queued",
        "checkpoint.created": "waiting_for_input",
        "run.succeeded": "succeeded",
        "run.failed": "failed",
        "run.cancelled": "cancelled",
        "run.timed_out": "timed_out",
    }.get(event_type)


def is_trigger(record: RunRecord, event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether this event of the run gets a delivery (every trigger for v1; ACP status changes for ACP)."""
    if record.callback_protocol == "acp":
        return _status_at(event_type, data) is not None
    return event_type in TRIGGERS


def build_payload(record: RunRecord, event: Mapping[str, Any]) -> dict[str, Any]:
    """`event`: {"type", "seq", "data" (dict), "created_at"} of the run's event that triggered it."""
    event_data = event.get("data") or {}
    event_type = str(event["type"])
    if record.callback_protocol == "acp":
        status = _status_at(event_type, event_data) or record.status
        return acp_run(replace(record, status=status, updated_at=str(event["created_at"])))
    data: dict[str, Any] = {"run": record.to_api().model_dump(mode="json")}
    if event_type.startswith("checkpoint.") and event_data.get("checkpoint_id"):
        checkpoint = checkpoint_store.find(record.run_id, event_data["checkpoint_id"])
        if checkpoint is not None:
            data["checkpoint"] = checkpoint.public()
    if event_type == "artifact.created":
        data["artifact"] = dict(event_data)
    return {
        "type": event_type,
        "event_id": int(event["seq"]),
        "run_id": record.run_id,
        "occurred_at": event["created_at"],
        "data": data,
    }

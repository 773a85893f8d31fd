"""The body of a webhook: one function for every protocol, so v1 and ACP callbacks can't drift.

v1: {"type", "event_id", "run_id", "occurred_at", "data": {"run", "checkpoint"?, "artifact"?}}, the
run (and checkpoint) as the API returns them when the delivery is prepared. `event_id` is the event's
gap-free sequence number: receivers order by it and drop what they have already seen.
ACP ("acp"): the ACP Run object, as the spec's callback says.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

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


def _acp_run(record: RunRecord) -> dict[str, Any] | None:
    try:
        mapping = importlib.import_module("agent_runtime.acp.mapping")
    except ImportError:
        return None
    convert = getattr(mapping, "acp_run_for_webhook", None)
    if convert is None:
        return None
    result: dict[str, Any] = convert(record)
    return result


def build_payload(record: RunRecord, event: Mapping[str, Any]) -> dict[str, Any]:
    """`event`: {"type", "seq", "data" (dict), "created_at"} of the run's event that triggered it."""
    if getattr(record, "callback_protocol", "v1") == "acp":  # RunRecord.callback_protocol (ACP runs)
        acp = _acp_run(record)
        if acp is not None:
            return acp
    data: dict[str, Any] = {"run": record.to_api().model_dump(mode="json")}
    event_data = event.get("data") or {}
    event_type = str(event["type"])
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

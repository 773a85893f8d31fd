"""The v1 webhook body, for every lifecycle event of a v1 run:

{"type", "event_id", "run_id", "occurred_at", "data": {"run", "checkpoint"?, "artifact"?}}: the run (and
checkpoint) as of the event, not as of the delivery (which may come after the run moved on): its status
then, `updated_at` the event's time, an output or error only once it has one. `event_id` is the event's
gap-free sequence number: receivers order by it and drop what they have already seen.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agent_runtime.engine.model import Event, Run, run_as_of
from agent_runtime.v1.views import checkpoint_json, run_json

if TYPE_CHECKING:
    from agent_runtime.engine import Engine


def webhook_body(engine: Engine, run: Run, event: Event) -> dict[str, Any] | None:
    data: dict[str, Any] = {"run": run_json(run_as_of(run, event))}
    checkpoint_id = event.data.get("checkpoint_id")
    if event.type.startswith("checkpoint.") and checkpoint_id:
        checkpoint = engine.checkpoints.find(run.run_id, str(checkpoint_id))
        if checkpoint is not None and event.type == "checkpoint.created":
            checkpoint = replace(checkpoint, status="pending", resolved_at=None, resolution=None)
        if checkpoint is not None:
            data["checkpoint"] = checkpoint_json(checkpoint)
    if event.type == "artifact.created":
        data["artifact"] = dict(event.data)
    return {
        "type": event.type,
        "event_id": event.seq,
        "run_id": run.run_id,
        "occurred_at": event.created_at,
        "data": data,
    }

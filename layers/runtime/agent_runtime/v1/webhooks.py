"""The v1 webhook body, for every lifecycle event of a v1 run:

{"type", "event_id", "run_id", "occurred_at", "data": {"run", "checkpoint"?, "artifact"?}}: the run (and
checkpoint) as the API returns them when the delivery is prepared. `event_id` is the event's gap-free
sequence number: receivers order by it and drop what they have already seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent_runtime.engine.model import Event, Run
from agent_runtime.v1.views import checkpoint_json, run_json

if TYPE_CHECKING:
    from agent_runtime.engine import Engine


def webhook_body(engine: Engine, run: Run, event: Event) -> dict[str, Any] | None:
    data: dict[str, Any] = {"run": run_json(run)}
    checkpoint_id = event.data.get("checkpoint_id")
    if event.type.startswith("checkpoint.") and checkpoint_id:
        checkpoint = engine.checkpoints.find(run.run_id, str(checkpoint_id))
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

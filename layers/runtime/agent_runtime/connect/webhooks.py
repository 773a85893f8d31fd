"""The webhook body of a run created over Connect: the event and the run as of it, both as the proto's
messages in Connect's JSON encoding ({"event": Event, "run": Run}), so a receiver parses them with the
same generated classes (`Event.from_json`) its client uses."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agent_runtime.connect.views import event_message, run_message
from agent_runtime.engine.model import TERMINAL_STATUSES, Event, Run, RunStatus

if TYPE_CHECKING:
    from agent_runtime.engine import Engine

# The status each lifecycle event leaves the run in (None: the status it had).
STATUS_AFTER: dict[str, str] = {
    "run.created": RunStatus.QUEUED,
    "run.started": RunStatus.RUNNING,
    "checkpoint.created": RunStatus.WAITING_FOR_INPUT,
    "checkpoint.resolved": RunStatus.RUNNING,
    "artifact.created": RunStatus.RUNNING,
    "run.succeeded": RunStatus.SUCCEEDED,
    "run.failed": RunStatus.FAILED,
    "run.cancelled": RunStatus.CANCELLED,
    "run.timed_out": RunStatus.TIMED_OUT,
}


def webhook_body(engine: Engine, run: Run, event: Event) -> dict[str, Any] | None:
    status: str | None = STATUS_AFTER.get(event.type)
    if event.type == "checkpoint.expired":
        status = RunStatus.RUNNING if event.data.get("on_timeout") == "continue" else RunStatus.TIMED_OUT
    status = status or run.status
    as_of = replace(
        run,
        status=status,
        updated_at=event.created_at,
        output=run.output if status == RunStatus.SUCCEEDED else None,
        error=run.error if status in TERMINAL_STATUSES - {RunStatus.SUCCEEDED} else None,
    )
    return {
        "event": json.loads(event_message(event).to_json()),
        "run": json.loads(run_message(as_of).to_json()),
    }

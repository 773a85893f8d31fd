"""The webhook body of a run created over Connect: the event and the run as of it, both as the proto's
messages in Connect's JSON encoding ({"event": Event, "run": Run}), so a receiver parses them with the
same generated classes (`Event.from_json`) its client uses."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agent_runtime.connect.views import event_message, run_message
from agent_runtime.engine.model import Event, Run, run_as_of

if TYPE_CHECKING:
    from agent_runtime.engine import Engine


def webhook_body(engine: Engine, run: Run, event: Event) -> dict[str, Any] | None:
    return {
        "event": json.loads(event_message(event).to_json()),
        "run": json.loads(run_message(run_as_of(run, event)).to_json()),
    }

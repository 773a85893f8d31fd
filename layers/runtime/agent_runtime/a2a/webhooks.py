"""A2A push notifications: the webhook of a run created with a push notification config. Each body is
a StreamResponse, as the spec's push payload (section 4.3.3): a statusUpdate on every state change
(SUBMITTED, WORKING, INPUT_REQUIRED with the checkpoint, FAILED, CANCELED), an artifactUpdate per
file, and the whole Task when it completes; each carries metadata.eventId (order and dedupe by it).
The engine signs them (Standard Webhooks), retries them for 24 h and records every attempt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent_runtime.a2a import views
from agent_runtime.engine.model import Event, Run

if TYPE_CHECKING:
    from agent_runtime.engine import Engine


def webhook_body(engine: Engine, run: Run, event: Event) -> dict[str, Any] | None:
    if event.type == "run.succeeded":
        return {"task": views.task(engine, run, event_id=event.seq)}
    responses = views.stream_responses(engine, run, event)
    return responses[-1] if responses else None

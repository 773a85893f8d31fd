"""Stream -> deliveries: the run's own event items are the outbox.

A run's change and its events are one transaction, so the table's stream carries every event even if
the writer crashes right after. For each INSERT of an event item, if the run has a callback URL and
its door's formatter makes a body for that event, the dispatcher stores a delivery (conditional put,
id derived from run id + seq) with that exact body and the callback's URL and headers as they are
then, and enqueues it. A stream record seen twice finds the delivery already there and re-enqueues it
only if it never got an attempt (healing a crash between put and send); the delivery worker ignores
messages for deliveries already settled.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from agent_runtime.clock import now_iso
from agent_runtime.engine.model import Event, Run
from agent_runtime.engine.webhooks.deliveries import delivery_id
from agent_runtime.store import keys
from agent_runtime.store.delivery_items import DeliveryRecord
from agent_runtime.store.dynamo import from_item
from agent_runtime.store.errors import ItemNotFound
from agent_runtime.store.payloads import to_json

if TYPE_CHECKING:
    from agent_runtime.engine import Engine

log = logging.getLogger(__name__)

# The lifecycle events a webhook may be sent for (custom events never are): the rest are skipped
# before the run is even read.
LIFECYCLE_EVENTS = frozenset(
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
# A door's webhook body for one event of one of its runs, or None when that event sends none.
Formatter = Callable[["Engine", Run, Event], dict[str, Any] | None]


def load_formatters(paths: Mapping[str, str]) -> dict[str, Formatter]:
    """{"protocol": "module:function"} -> the functions (the manifest names them, so a new door adds
    its formatter there and the engine stays unaware of it)."""
    formatters: dict[str, Formatter] = {}
    for protocol, path in paths.items():
        module, _, name = path.partition(":")
        formatters[protocol] = getattr(importlib.import_module(module), name)
    return formatters


class Dispatcher:
    def __init__(self, engine: Engine, formatters: Mapping[str, Formatter]) -> None:
        self.engine = engine
        self.formatters = formatters
        self.items = engine.store.deliveries

    def handle_stream_event(self, stream_event: Mapping[str, Any]) -> dict[str, Any]:
        """The DynamoDB stream event, as an event source mapping delivers it."""
        dispatched = []
        for record in stream_event.get("Records") or []:
            if record.get("eventName") != "INSERT":
                continue
            image = (record.get("dynamodb") or {}).get("NewImage")
            if not image:
                continue
            values = from_item(image)
            pk, sk = str(values.get("PK", "")), str(values.get("SK", ""))
            if not pk.startswith(keys.RUN_PREFIX) or not sk.startswith(keys.EVENT_PREFIX):
                continue
            for event in self.engine.store.events.from_page(pk[len(keys.RUN_PREFIX) :], values):
                if event.type in LIFECYCLE_EVENTS and (delivery := self.dispatch(event)):
                    dispatched.append(delivery)
        if dispatched:
            log.info("dispatched %d webhook deliveries", len(dispatched))
        return {"dispatched": dispatched}

    def dispatch(self, event: Event) -> str | None:
        """Make (or find) the delivery for one event; its id, or None if none is due."""
        try:
            record = self.engine.store.runs.get(event.run_id)
        except ItemNotFound:
            return None
        if not record.callback_url:
            return None
        existing = self.items.find(event.run_id, event.seq)
        if existing is not None:
            if existing.status == "pending" and existing.attempt_count == 0:
                self.engine.webhook_queue.enqueue(existing)
            return existing.delivery_id
        formatter = self.formatters.get(record.protocol)
        if formatter is None:
            log.warning("run %s: no webhook formatter for protocol %r", record.run_id, record.protocol)
            return None
        body = formatter(self.engine, self.engine.runs.view(record), event)
        if body is None:
            return None
        now = now_iso()
        delivery = DeliveryRecord(
            delivery_id=delivery_id(event.run_id, event.seq),
            run_id=event.run_id,
            tenant_id=record.tenant_id,
            seq=event.seq,
            event_type=event.type,
            url=record.callback_url,
            headers=record.callback_headers or "{}",  # the callback's own, as of now (write-only)
            # The exact body text, so every attempt signs and sends the same bytes (S3 above 64 KiB).
            payload=self.engine.store.payloads.dump(
                record.tenant_id, event.run_id, f"webhook-{event.seq}", to_json(body)
            ),
            status="pending",
            created_at=now,
            updated_at=now,
            give_up_at=self.engine.clock.now().timestamp() + self.engine.config.webhook_retry_window_seconds,
        )
        if self.items.create(delivery):
            self.engine.webhook_queue.enqueue(delivery)
            return delivery.delivery_id
        return self.dispatch(event)  # raced with another copy of this record: treat as seen

"""Stream → deliveries: the run's own event items are the outbox.

`commit` writes each event in the same transaction as the run change, so the table's stream carries
every event even if the writer crashes right after. For each INSERT of an event item whose type is a
trigger, if the run has a callback URL, the dispatcher stores a delivery (conditional put, id derived
from run id + seq) with the body as of now, and enqueues it. A stream record seen twice finds the
delivery already there and re-enqueues it only if it never got an attempt (healing a crash between
put and send); the delivery worker ignores messages for deliveries already settled.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from typing import Any

from agent_runtime import aws
from agent_runtime.clock import now_iso
from agent_runtime.config import settings
from agent_runtime.errors import NotFound
from agent_runtime.store import keys, payloads
from agent_runtime.store import runs as run_store
from agent_runtime.store.attrs import from_item
from agent_runtime.webhooks import deliveries
from agent_runtime.webhooks.payloads import TRIGGERS, build_payload, is_trigger

log = logging.getLogger(__name__)


def enqueue(delivery: deliveries.DeliveryRecord, delay_seconds: float = 0.0, not_before: float = 0.0) -> None:
    """Queue the delivery's next attempt. The message names the attempt it is for, so a copy SQS
    delivers twice, or one of an attempt already made, can't start a second retry chain."""
    body = {
        "delivery_id": delivery.delivery_id,
        "generation": delivery.generation,
        "attempt": delivery.attempt_count,
        "not_before": not_before,
    }
    aws.sqs().send_message(
        QueueUrl=settings().webhook_queue_url,
        MessageBody=json.dumps(body),
        DelaySeconds=max(0, min(900, math.ceil(delay_seconds))),
    )


def _event_from_image(image: Mapping[str, Any]) -> dict[str, Any] | None:
    values = from_item(dict(image))
    pk, sk = str(values.get("PK", "")), str(values.get("SK", ""))
    if not pk.startswith("RUN#") or not sk.startswith(keys.EVENT_PREFIX):
        return None
    if values.get("type") not in TRIGGERS:
        return None
    return values


def dispatch_event(event: Mapping[str, Any]) -> str | None:
    """Make (or find) the delivery for one event item; the delivery id, or None if none is due."""
    run_id = str(event["PK"])[len("RUN#") :]
    seq = int(event["seq"])
    try:
        record = run_store.get(run_id, None)
    except NotFound:
        return None
    data = payloads.load(event.get("data"))
    if not record.callback_url or not is_trigger(record, str(event["type"]), data):
        return None
    existing = deliveries.find(run_id, seq)
    if existing is not None:
        if existing.status == "pending" and existing.attempt_count == 0:
            enqueue(existing)
        return existing.delivery_id
    body = build_payload(record, {**event, "data": data})
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    now = now_iso()
    delivery = deliveries.DeliveryRecord(
        delivery_id=deliveries.delivery_id(run_id, seq),
        run_id=run_id,
        tenant_id=record.tenant_id,
        seq=seq,
        event_type=str(event["type"]),
        url=record.callback_url,
        # The exact body text, so every attempt signs and sends the same bytes (S3 above 64 KiB).
        payload=payloads.dump(record.tenant_id, run_id, f"webhook-{seq}", text),
        status="pending",
        created_at=now,
        updated_at=now,
        give_up_at=time.time() + settings().webhook_retry_window_seconds,
    )
    if deliveries.create(delivery):
        enqueue(delivery)
        return delivery.delivery_id
    return dispatch_event(event)  # raced with another copy of this record: treat as seen


def handle_stream_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The DynamoDB stream event (as an event source mapping delivers it)."""
    dispatched = []
    for record in event.get("Records") or []:
        if record.get("eventName") != "INSERT":
            continue
        image = (record.get("dynamodb") or {}).get("NewImage")
        if not image:
            continue
        values = _event_from_image(image)
        if values is None:
            continue
        delivery = dispatch_event(values)
        if delivery:
            dispatched.append(delivery)
    if dispatched:
        log.info("dispatched %d webhook deliveries", len(dispatched))
    return {"dispatched": dispatched}

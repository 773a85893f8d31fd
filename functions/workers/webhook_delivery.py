"""SQS consumer: one delivery attempt per message, the batch's attempts side by side, so a receiver
that hangs holds up no other receiver's delivery by more than its own attempt's time budget (every
attempt is bounded: connect and read timeouts, and the excerpt loop). Messages that raise, or that
there is no time left for, are reported as batch item failures (the event source mapping has
ReportBatchItemFailures) and come back after the visibility timeout; the others are deleted."""

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent_runtime.engine import Engine

log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    sender = Engine.default().webhook_sender
    budget_ms = sender.settings.attempt_budget_seconds * 1000
    if context is not None and context.get_remaining_time_in_millis() < budget_ms:
        # Not started: too little time left for a whole attempt. They come back after the visibility
        # timeout instead of being cut off mid-request by the function's timeout.
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]}

    def deliver(record: dict[str, Any]) -> bool:
        try:
            sender.attempt(json.loads(record["body"]))
            return True
        except Exception:
            log.exception("webhook delivery message %s failed", record.get("messageId"))
            return False

    with ThreadPoolExecutor(max_workers=max(1, len(records)), thread_name_prefix="webhook") as pool:
        delivered = list(pool.map(deliver, records))
    return {
        "batchItemFailures": [
            {"itemIdentifier": r["messageId"]} for r, ok in zip(records, delivered, strict=True) if not ok
        ]
    }

"""SQS consumer: one delivery attempt per message. Messages that raise are reported as batch item
failures (the event source mapping has ReportBatchItemFailures) and come back after the visibility
timeout; the others are deleted."""

import json
import logging
from typing import Any

from agent_runtime.webhooks.sender import attempt

log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event.get("Records") or []:
        try:
            attempt(json.loads(record["body"]))
        except Exception:
            log.exception("webhook delivery message %s failed", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

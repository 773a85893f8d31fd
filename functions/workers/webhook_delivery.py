"""SQS consumer: one delivery attempt per message. Messages that raise, or that there is no time left
for, are reported as batch item failures (the event source mapping has ReportBatchItemFailures) and
come back after the visibility timeout; the others are deleted."""

import json
import logging
from typing import Any

from agent_runtime.engine import Engine
from agent_runtime.engine.webhooks.sender import attempt, attempt_budget_seconds

log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    engine = Engine.default()
    budget_ms = attempt_budget_seconds() * 1000
    for record in event.get("Records") or []:
        if context is not None and context.get_remaining_time_in_millis() < budget_ms:
            # Not started: too little time left for a whole attempt. It comes back after the
            # visibility timeout instead of being cut off mid-request by the function's timeout.
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        try:
            attempt(engine, json.loads(record["body"]))
        except Exception:
            log.exception("webhook delivery message %s failed", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

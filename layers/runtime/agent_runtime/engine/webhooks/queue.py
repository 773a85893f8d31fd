"""The webhook queue (one message per delivery attempt) and its dead-letter queue."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from agent_runtime.store.delivery_items import DeliveryRecord

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from agent_runtime.config import Settings

MAX_DELAY_SECONDS = 900  # SQS's longest message delay


class WebhookQueue:
    def __init__(self, client: SQSClient, queue_url: str, dlq_url: str) -> None:
        self.client = client
        self.queue_url = queue_url
        self.dlq_url = dlq_url

    @classmethod
    def default(cls, config: Settings) -> WebhookQueue:
        from agent_runtime import aws

        return cls(aws.sqs(), config.webhook_queue_url, config.webhook_dlq_url)

    def enqueue(self, delivery: DeliveryRecord, delay_seconds: float = 0.0, not_before: float = 0.0) -> None:
        """Queue the delivery's next attempt. The message names the attempt it is for, so a copy SQS
        delivers twice, or one of an attempt already made, can't start a second retry chain."""
        body = {
            "delivery_id": delivery.delivery_id,
            "generation": delivery.generation,
            "attempt": delivery.attempt_count,
            "not_before": not_before,
        }
        self.client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(body),
            DelaySeconds=max(0, min(MAX_DELAY_SECONDS, math.ceil(delay_seconds))),
        )

    def dead_letter(self, delivery: DeliveryRecord, reason: str) -> None:
        body: dict[str, Any] = {
            "delivery_id": delivery.delivery_id,
            "run_id": delivery.run_id,
            "tenant_id": delivery.tenant_id,
            "event_id": delivery.seq,
            "event_type": delivery.event_type,
            "url": delivery.url,
            "attempt_count": delivery.attempt_count,
            "reason": reason,
        }
        self.client.send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(body))

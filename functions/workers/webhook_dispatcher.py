"""DynamoDB stream consumer: event items that trigger webhooks -> delivery items + queue messages."""

from typing import Any

from agent_runtime.webhooks.dispatch import handle_stream_event


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_stream_event(event)

"""DynamoDB stream consumer: event items that trigger webhooks -> delivery items + queue messages."""

from functools import cache
from typing import Any

from agent_runtime.engine import Engine
from agent_runtime.engine.webhooks.dispatch import Dispatcher, Formatter, load_formatters
from functions.manifest import WEBHOOK_FORMATTERS


@cache
def _formatters() -> dict[str, Formatter]:
    return load_formatters(WEBHOOK_FORMATTERS)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return Dispatcher(Engine.default(), _formatters()).handle_stream_event(event)

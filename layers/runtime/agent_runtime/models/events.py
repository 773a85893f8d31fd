"""A model call's answer as run events: `message.delta` for each piece of text as it comes, then
`message.completed` with the whole message and its usage. `emit` is step code's (StepContext.emit):
the deltas go through the run's event buffer like any event, in order, with gap-free ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_runtime.models.provider import ModelProvider
from agent_runtime.models.types import ModelRequest, ModelResponse, OnDelta, TextDelta

DELTA = "message.delta"
COMPLETED = "message.completed"

Emit = Callable[[str, dict[str, Any]], None]


def deltas_to(emit: Emit, message_id: str) -> OnDelta:
    """An on_delta that emits each delta as `message.delta` {message_id, text, index}."""

    def on_delta(delta: TextDelta) -> None:
        emit(DELTA, {"message_id": message_id, "text": delta.text, "index": delta.index})

    return on_delta


def completed(message_id: str, response: ModelResponse) -> dict[str, Any]:
    """`message.completed`'s data: the whole message, why it stopped, its usage and model."""
    return {
        "message_id": message_id,
        "message": response.message.model_dump(mode="json"),
        "stop_reason": response.stop_reason,
        "usage": response.usage.model_dump(mode="json"),
        "model_id": response.model_id,
    }


def complete_streaming(
    provider: ModelProvider, request: ModelRequest, emit: Emit, message_id: str
) -> ModelResponse:
    """Call the model, streaming its text as `message.delta` events, then emit `message.completed`."""
    response = provider.complete(request, on_delta=deltas_to(emit, message_id))
    emit(COMPLETED, completed(message_id, response))
    return response

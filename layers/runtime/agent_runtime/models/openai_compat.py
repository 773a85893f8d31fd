"""Any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, Ollama, LiteLLM, ...), streamed.

Needs the optional extra `openai` (`pip install agent-runtime[openai]`), imported only when a spec
names this provider. The endpoint and key come from the openai package's own environment variables
(OPENAI_BASE_URL, OPENAI_API_KEY). Every call streams (with usage in the last chunk), whether or not
the caller wants the deltas: one code path, and the first token's latency is the same either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from agent_runtime.models.errors import ModelConfigError, ModelError
from agent_runtime.models.types import (
    Message,
    ModelRequest,
    ModelResponse,
    OnDelta,
    Part,
    StopReason,
    TextDelta,
    TextPart,
    ToolResultPart,
    ToolUsePart,
    Usage,
)

if TYPE_CHECKING:
    from openai import OpenAI

TIMEOUT_SECONDS = 120.0
STOP_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "content_filtered",
}


@cache
def default_client() -> OpenAI:
    try:
        from openai import OpenAI
    except ImportError as error:
        raise ModelConfigError(
            "the openai provider needs the `openai` extra: pip install 'agent-runtime[openai]'"
        ) from error
    return OpenAI(timeout=TIMEOUT_SECONDS)


class OpenAIProvider:
    def __init__(self, model: str, client: OpenAI | None = None) -> None:
        self.model = model
        self._client = client

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}"

    def complete(self, request: ModelRequest, on_delta: OnDelta | None = None) -> ModelResponse:
        client = self._client or default_client()  # ModelConfigError without the extra
        import openai

        try:
            chunks: Iterable[Any] = client.chat.completions.create(**chat_params(self.model, request))
            return self._collect(chunks, on_delta)
        except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as error:
            raise ModelError(
                f"openai {self.model}: {error}", retryable=True, code=type(error).__name__
            ) from error
        except openai.APIStatusError as error:
            raise ModelError(
                f"openai {self.model}: {error}",
                retryable=error.status_code >= 500,
                code=str(error.status_code),
            ) from error

    def _collect(self, chunks: Iterable[Any], on_delta: OnDelta | None) -> ModelResponse:
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        stop: StopReason = "end_turn"
        usage = Usage()
        for chunk in chunks:
            if chunk.usage is not None:
                usage = _usage(chunk.usage)
            for choice in chunk.choices[:1]:
                delta = choice.delta
                if delta.content:
                    if on_delta is not None:
                        on_delta(TextDelta(index=len(text), text=delta.content))
                    text.append(delta.content)
                for call in delta.tool_calls or ():
                    entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": []})
                    entry["id"] = call.id or entry["id"]
                    if call.function is not None:
                        entry["name"] += call.function.name or ""
                        entry["arguments"].append(call.function.arguments or "")
                if choice.finish_reason:
                    stop = STOP_REASONS.get(choice.finish_reason, "end_turn")
        parts: list[Part] = [TextPart(text="".join(text))] if text else []
        for index in sorted(calls):
            raw = "".join(calls[index]["arguments"])
            try:
                arguments = json.loads(raw) if raw else {}
            except json.JSONDecodeError as error:
                raise ModelError(
                    f"openai {self.model}: tool call arguments are not JSON: {raw[:200]!r}",
                    retryable=True,
                    code="InvalidToolArguments",
                ) from error
            parts.append(
                ToolUsePart(
                    id=calls[index]["id"] or f"call_{index}", name=calls[index]["name"], arguments=arguments
                )
            )
        return ModelResponse(
            message=Message(role="assistant", parts=parts),
            stop_reason=stop,
            usage=usage,
            model_id=self.model_id,
        )


def chat_params(model: str, request: ModelRequest) -> dict[str, Any]:
    """The chat completions request for `request` (streamed, with usage)."""
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            if message.tool_calls:
                entry["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                    }
                    for call in message.tool_calls
                ]
            messages.append(entry)
            continue
        results = [p for p in message.parts if isinstance(p, ToolResultPart)]
        for result in results:
            content = result.content if isinstance(result.content, str) else json.dumps(result.content)
            messages.append({"role": "tool", "tool_call_id": result.tool_use_id, "content": content})
        if message.text or not results:
            messages.append(
                {"role": "system" if message.role == "system" else "user", "content": message.text}
            )
    params: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.temperature is not None:
        params["temperature"] = request.temperature
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.input_schema},
            }
            for t in request.tools
        ]
    return params


def _usage(usage: Any) -> Usage:
    details = getattr(usage, "prompt_tokens_details", None)
    cached = int(getattr(details, "cached_tokens", 0) or 0) if details is not None else 0
    return Usage(
        input_tokens=max(0, int(usage.prompt_tokens or 0) - cached),
        output_tokens=int(usage.completion_tokens or 0),
        cached_tokens=cached,
    )

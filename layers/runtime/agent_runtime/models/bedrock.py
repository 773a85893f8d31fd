"""Amazon Bedrock through the Converse API: ConverseStream when the caller streams, Converse otherwise.

The client is agent_runtime.aws's cached one (created on first use, like every AWS client here). Tool
results go back in a user message, as Converse requires; consecutive messages of one role are merged
(Converse wants the roles to alternate).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from agent_runtime.models.errors import ModelError
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
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

# Errors worth another attempt later (the rest mean the request itself is wrong).
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ModelTimeoutException",
        "ModelNotReadyException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelStreamErrorException",
    }
)
STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "guardrail_intervened": "content_filtered",
    "content_filtered": "content_filtered",
}


class BedrockProvider:
    def __init__(self, model: str, client: BedrockRuntimeClient | None = None) -> None:
        self.model = model
        self._client = client

    @property
    def model_id(self) -> str:
        return f"bedrock:{self.model}"

    def client(self) -> BedrockRuntimeClient:
        if self._client is None:
            from agent_runtime import aws

            self._client = aws.bedrock_runtime()
        return self._client

    def complete(self, request: ModelRequest, on_delta: OnDelta | None = None) -> ModelResponse:
        from botocore.exceptions import BotoCoreError, ClientError

        params = converse_params(self.model, request)
        try:
            if on_delta is None:
                return self._response(self.client().converse(**params))
            stream = self.client().converse_stream(**params)["stream"]
            return self._streamed(stream, on_delta)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            code = code[:1].upper() + code[1:]  # a stream's error events are camelCase: throttlingException
            raise ModelError(
                f"bedrock {self.model}: {error}", retryable=code in RETRYABLE_CODES, code=code
            ) from error
        except BotoCoreError as error:  # connection and read timeouts: the network, not the request
            raise ModelError(
                f"bedrock {self.model}: {error}", retryable=True, code=type(error).__name__
            ) from error

    def _response(self, response: Mapping[str, Any]) -> ModelResponse:
        blocks = response["output"]["message"]["content"]
        parts: list[Part] = []
        for block in blocks:
            if "text" in block:
                parts.append(TextPart(text=block["text"]))
            elif "toolUse" in block:
                use = block["toolUse"]
                parts.append(
                    ToolUsePart(id=use["toolUseId"], name=use["name"], arguments=use.get("input") or {})
                )
        return ModelResponse(
            message=Message(role="assistant", parts=parts),
            stop_reason=STOP_REASONS.get(response["stopReason"], "end_turn"),
            usage=_usage(response.get("usage", {})),
            model_id=self.model_id,
        )

    def _streamed(self, stream: Iterable[Mapping[str, Any]], on_delta: OnDelta) -> ModelResponse:
        texts: dict[int, list[str]] = {}
        tools: dict[int, dict[str, Any]] = {}
        stop: StopReason = "end_turn"
        usage = Usage()
        deltas = 0
        for event in stream:
            if "contentBlockStart" in event:
                start = event["contentBlockStart"]
                use = start.get("start", {}).get("toolUse")
                if use is not None:
                    tools[start["contentBlockIndex"]] = {
                        "id": use["toolUseId"],
                        "name": use["name"],
                        "input": [],
                    }
            elif "contentBlockDelta" in event:
                block = event["contentBlockDelta"]
                delta, index = block["delta"], block["contentBlockIndex"]
                if "text" in delta:
                    texts.setdefault(index, []).append(delta["text"])
                    on_delta(TextDelta(index=deltas, text=delta["text"]))
                    deltas += 1
                elif "toolUse" in delta and index in tools:
                    tools[index]["input"].append(delta["toolUse"].get("input", ""))
            elif "messageStop" in event:
                stop = STOP_REASONS.get(event["messageStop"]["stopReason"], "end_turn")
            elif "metadata" in event:
                usage = _usage(event["metadata"].get("usage", {}))
        parts: list[Part] = []
        for index in sorted({*texts, *tools}):
            if index in texts:
                parts.append(TextPart(text="".join(texts[index])))
            else:
                tool = tools[index]
                raw = "".join(tool["input"])
                parts.append(
                    ToolUsePart(id=tool["id"], name=tool["name"], arguments=json.loads(raw) if raw else {})
                )
        return ModelResponse(
            message=Message(role="assistant", parts=parts),
            stop_reason=stop,
            usage=usage,
            model_id=self.model_id,
        )


def converse_params(model: str, request: ModelRequest) -> dict[str, Any]:
    """The Converse (and ConverseStream) request for `request`."""
    system = [{"text": m.text} for m in request.messages if m.role == "system"]
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        content = [_block(part) for part in message.parts]
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(content)
        else:
            messages.append({"role": role, "content": content})
    inference: dict[str, Any] = {"maxTokens": request.max_tokens}
    if request.temperature is not None:
        inference["temperature"] = request.temperature
    params: dict[str, Any] = {"modelId": model, "messages": messages, "inferenceConfig": inference}
    if system:
        params["system"] = system
    if request.tools:
        params["toolConfig"] = {
            "tools": [
                {
                    "toolSpec": {
                        "name": tool.name,
                        "description": tool.description or tool.name,
                        "inputSchema": {"json": tool.input_schema},
                    }
                }
                for tool in request.tools
            ]
        }
    return params


def _block(part: Part) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"text": part.text}
    if isinstance(part, ToolUsePart):
        return {"toolUse": {"toolUseId": part.id, "name": part.name, "input": part.arguments}}
    assert isinstance(part, ToolResultPart)
    content = [{"text": part.content}] if isinstance(part.content, str) else [{"json": part.content}]
    return {
        "toolResult": {
            "toolUseId": part.tool_use_id,
            "content": content,
            "status": "error" if part.is_error else "success",
        }
    }


def _usage(usage: Mapping[str, Any]) -> Usage:
    return Usage(
        input_tokens=int(usage.get("inputTokens", 0)),
        output_tokens=int(usage.get("outputTokens", 0)),
        cached_tokens=int(usage.get("cacheReadInputTokens", 0)),
        cache_write_tokens=int(usage.get("cacheWriteInputTokens", 0)),
    )

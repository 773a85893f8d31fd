"""Bedrock's Converse and ConverseStream, their call shapes pinned with botocore's Stubber (moto's
bedrock-runtime has no Converse). The client validates every request against the real service model
before the stub answers, so a malformed request fails here as it would on AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from agent_runtime.models import (
    Message,
    ModelError,
    ModelRequest,
    TextDelta,
    Tool,
    ToolResultPart,
    ToolUsePart,
)
from agent_runtime.models.bedrock import BedrockProvider

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
SEARCH = Tool(
    name="search",
    description="Search the corpus",
    input_schema={"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
)


@pytest.fixture
def client() -> Any:
    return boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    ).client("bedrock-runtime")


def conversation() -> ModelRequest:
    return ModelRequest(
        messages=[
            Message.of("system", "Be brief."),
            Message.of("user", "Find cats"),
            Message(
                role="assistant",
                parts=[ToolUsePart(id="tu_1", name="search", arguments={"q": "cats"})],
            ),
            Message(role="tool", parts=[ToolResultPart(tool_use_id="tu_1", content={"hits": 2})]),
            Message.of("user", "and dogs?"),
        ],
        tools=[SEARCH],
        max_tokens=200,
        temperature=0.2,
    )


EXPECTED_PARAMS = {
    "modelId": MODEL,
    "system": [{"text": "Be brief."}],
    "messages": [
        {"role": "user", "content": [{"text": "Find cats"}]},
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "tu_1", "name": "search", "input": {"q": "cats"}}}],
        },
        # The tool's result and the next user text merge into one user message (roles alternate).
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "tu_1",
                        "content": [{"json": {"hits": 2}}],
                        "status": "success",
                    }
                },
                {"text": "and dogs?"},
            ],
        },
    ],
    "inferenceConfig": {"maxTokens": 200, "temperature": 0.2},
    "toolConfig": {
        "tools": [
            {
                "toolSpec": {
                    "name": "search",
                    "description": "Search the corpus",
                    "inputSchema": {"json": SEARCH.input_schema},
                }
            }
        ]
    },
}


def test_converse_maps_request_response_and_usage(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response(
            "converse",
            {
                "output": {
                    "message": {
                        "role": "assistant",
                        "content": [
                            {"text": "Searching dogs."},
                            {"toolUse": {"toolUseId": "tu_2", "name": "search", "input": {"q": "dogs"}}},
                        ],
                    }
                },
                "stopReason": "tool_use",
                "usage": {
                    "inputTokens": 120,
                    "outputTokens": 15,
                    "totalTokens": 235,
                    "cacheReadInputTokens": 90,
                    "cacheWriteInputTokens": 10,
                },
                "metrics": {"latencyMs": 300},
            },
            EXPECTED_PARAMS,
        )
        response = BedrockProvider(MODEL, client).complete(conversation())
        stub.assert_no_pending_responses()
    assert response.model_id == f"bedrock:{MODEL}"
    assert response.stop_reason == "tool_use"
    assert response.message.text == "Searching dogs."
    assert [(c.id, c.name, c.arguments) for c in response.message.tool_calls] == [
        ("tu_2", "search", {"q": "dogs"})
    ]
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.cache_write_tokens) == (
        120,
        15,
        90,
        10,
    )


def stream_events() -> Iterator[dict[str, Any]]:
    yield {"messageStart": {"role": "assistant"}}
    for piece in ("Dogs ", "bark", "."):
        yield {"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": 0}}
    yield {"contentBlockStop": {"contentBlockIndex": 0}}
    yield {
        "contentBlockStart": {
            "start": {"toolUse": {"toolUseId": "tu_3", "name": "search"}},
            "contentBlockIndex": 1,
        }
    }
    for piece in ('{"q": ', '"dogs"}'):
        yield {"contentBlockDelta": {"delta": {"toolUse": {"input": piece}}, "contentBlockIndex": 1}}
    yield {"contentBlockStop": {"contentBlockIndex": 1}}
    yield {"messageStop": {"stopReason": "tool_use"}}
    yield {
        "metadata": {
            "usage": {"inputTokens": 50, "outputTokens": 9, "totalTokens": 99, "cacheReadInputTokens": 40},
            "metrics": {"latencyMs": 120},
        }
    }


def test_converse_stream_sends_deltas_then_the_whole_message(client: Any) -> None:
    # Stubber can't queue an event stream (it validates a response as a dict), so the stream goes in
    # through the hook Stubber itself uses; the request still passes the client's own validation.
    seen: list[dict[str, Any]] = []

    def answer(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        seen.append(params)  # the serialized request, as it would go on the wire
        return AWSResponse("https://bedrock-runtime.us-east-1.amazonaws.com", 200, {}, None), {
            "stream": stream_events()
        }

    client.meta.events.register("before-call.bedrock-runtime.ConverseStream", answer)
    deltas: list[TextDelta] = []
    response = BedrockProvider(MODEL, client).complete(conversation(), on_delta=deltas.append)
    [sent] = seen
    assert sent["url_path"] == f"/model/{MODEL.replace(':', '%3A')}/converse-stream"
    assert json.loads(sent["body"]) == {k: v for k, v in EXPECTED_PARAMS.items() if k != "modelId"}
    assert [(d.index, d.text) for d in deltas] == [(0, "Dogs "), (1, "bark"), (2, ".")]
    assert response.message.text == "Dogs bark."
    assert [(c.id, c.arguments) for c in response.message.tool_calls] == [("tu_3", {"q": "dogs"})]
    assert response.stop_reason == "tool_use"
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.cached_tokens) == (
        50,
        9,
        40,
    )


def test_an_error_in_the_middle_of_the_stream_is_retryable_after_the_deltas_so_far(client: Any) -> None:
    from botocore.exceptions import EventStreamError

    def broken() -> Iterator[dict[str, Any]]:
        yield {"contentBlockDelta": {"delta": {"text": "Dogs "}, "contentBlockIndex": 0}}
        raise EventStreamError(
            {"Error": {"Code": "throttlingException", "Message": "slow down"}}, "ConverseStream"
        )

    client.meta.events.register(
        "before-call.bedrock-runtime.ConverseStream",
        lambda **_: (
            AWSResponse("https://bedrock-runtime.us-east-1.amazonaws.com", 200, {}, None),
            {"stream": broken()},
        ),
    )
    deltas: list[TextDelta] = []
    with pytest.raises(ModelError) as raised:
        BedrockProvider(MODEL, client).complete(
            ModelRequest(messages=[Message.of("user", "hi")]), deltas.append
        )
    assert raised.value.retryable is True and raised.value.code == "ThrottlingException"
    assert [d.text for d in deltas] == ["Dogs "]  # what was streamed stays streamed: a retry streams anew


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("ThrottlingException", True),
        ("ModelTimeoutException", True),
        ("ValidationException", False),
        ("AccessDeniedException", False),
    ],
)
def test_errors_say_whether_to_retry(client: Any, code: str, retryable: bool) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("converse", service_error_code=code, http_status_code=400)
        with pytest.raises(ModelError) as raised:
            BedrockProvider(MODEL, client).complete(ModelRequest(messages=[Message.of("user", "hi")]))
    assert raised.value.retryable is retryable
    assert raised.value.code == code


def test_only_the_step_worker_may_converse_on_the_local_stack() -> None:
    from agent_runtime_local import permissions
    from functions import manifest

    # bedrock-runtime signs as "bedrock"; Converse is authorised as InvokeModel, the stream as its own.
    assert permissions.required_actions("bedrock", "Converse", {}) == ("bedrock:InvokeModel",)
    assert permissions.required_actions("bedrock", "ConverseStream", {}) == (
        "bedrock:InvokeModelWithResponseStream",
    )
    allowed = {
        spec.name
        for spec in manifest.FUNCTIONS
        if {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"} <= manifest.allowed_actions(spec)
    }
    assert allowed == {"step_worker"}

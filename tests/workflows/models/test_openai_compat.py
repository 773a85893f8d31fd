"""The OpenAI-compatible provider against a tiny chat-completions server on loopback (not an AWS API),
driven through the real openai client: streaming, tool calls split over chunks, usage, errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from openai import OpenAI

from agent_runtime.models import (
    Message,
    ModelError,
    ModelRequest,
    TextDelta,
    Tool,
    ToolResultPart,
    ToolUsePart,
)
from agent_runtime.models.openai_compat import OpenAIProvider


class ChatServer:
    """Answers POST /v1/chat/completions with the queued SSE chunks (or an error status)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, list[dict[str, Any]]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "body": json.loads(body)})
                status, chunks = outer.replies.pop(0)
                if status != 200:
                    payload = json.dumps({"error": {"message": "nope", "type": "invalid_request_error"}})
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload.encode())
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[ChatServer]:
    chat = ChatServer()
    yield chat
    chat.server.shutdown()


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


USAGE = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [],
    "usage": {
        "prompt_tokens": 100,
        "completion_tokens": 12,
        "total_tokens": 112,
        "prompt_tokens_details": {"cached_tokens": 64},
    },
}


def provider(server: ChatServer) -> OpenAIProvider:
    return OpenAIProvider("gpt-4o-mini", OpenAI(base_url=server.url, api_key="test", max_retries=0))


def test_streams_text_and_tool_calls_with_usage(server: ChatServer) -> None:
    server.replies.append(
        (
            200,
            [
                chunk({"role": "assistant", "content": "Dogs"}),
                chunk({"content": " bark."}),
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_9",
                                "type": "function",
                                "function": {"name": "search", "arguments": '{"q":'},
                            }
                        ]
                    }
                ),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "dogs"}'}}]}),
                chunk({}, finish="tool_calls"),
                USAGE,
            ],
        )
    )
    request = ModelRequest(
        messages=[
            Message.of("system", "Be brief."),
            Message.of("user", "Find cats"),
            Message(
                role="assistant", parts=[ToolUsePart(id="call_1", name="search", arguments={"q": "cats"})]
            ),
            Message(role="tool", parts=[ToolResultPart(tool_use_id="call_1", content="2 hits")]),
            Message.of("user", "and dogs?"),
        ],
        tools=[Tool(name="search", description="Search", input_schema={"type": "object"})],
        max_tokens=50,
        temperature=0,
    )
    deltas: list[TextDelta] = []
    response = provider(server).complete(request, on_delta=deltas.append)

    [sent] = server.requests
    assert sent["path"] == "/v1/chat/completions"
    body = sent["body"]
    assert body["model"] == "gpt-4o-mini"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert (body["max_tokens"], body["temperature"]) == (50, 0)
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Find cats"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "search", "arguments": '{"q": "cats"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "2 hits"},
        {"role": "user", "content": "and dogs?"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {"name": "search", "description": "Search", "parameters": {"type": "object"}},
        }
    ]

    assert [(d.index, d.text) for d in deltas] == [(0, "Dogs"), (1, " bark.")]
    assert response.model_id == "openai:gpt-4o-mini"
    assert response.message.text == "Dogs bark."
    assert [(c.id, c.name, c.arguments) for c in response.message.tool_calls] == [
        ("call_9", "search", {"q": "dogs"})
    ]
    assert response.stop_reason == "tool_use"
    # The prompt's cached tokens are counted apart from the rest of the input.
    assert (response.usage.input_tokens, response.usage.cached_tokens, response.usage.output_tokens) == (
        36,
        64,
        12,
    )


def test_without_a_callback_the_answer_is_still_whole(server: ChatServer) -> None:
    server.replies.append((200, [chunk({"content": "Hi"}), chunk({"content": "!"}, finish="length"), USAGE]))
    response = provider(server).complete(ModelRequest(messages=[Message.of("user", "hi")]))
    assert response.message.text == "Hi!"
    assert response.stop_reason == "max_tokens"


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (401, False), (429, True), (503, True)])
def test_http_errors_say_whether_to_retry(server: ChatServer, status: int, retryable: bool) -> None:
    server.replies.append((status, []))
    with pytest.raises(ModelError) as raised:
        provider(server).complete(ModelRequest(messages=[Message.of("user", "hi")]))
    assert raised.value.retryable is retryable


def test_an_unreachable_endpoint_is_retryable() -> None:
    client = OpenAI(base_url="http://127.0.0.1:9/v1", api_key="test", max_retries=0, timeout=2)
    with pytest.raises(ModelError) as raised:
        OpenAIProvider("gpt-4o-mini", client).complete(ModelRequest(messages=[Message.of("user", "hi")]))
    assert raised.value.retryable is True


def test_without_the_extra_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from agent_runtime.models import ModelConfigError, openai_compat

    openai_compat.default_client.cache_clear()
    monkeypatch.setitem(sys.modules, "openai", None)  # as if the extra were not installed
    with pytest.raises(ModelConfigError, match=r"agent-runtime\[openai\]"):
        OpenAIProvider("gpt-4o-mini").complete(ModelRequest(messages=[Message.of("user", "hi")]))
    openai_compat.default_client.cache_clear()

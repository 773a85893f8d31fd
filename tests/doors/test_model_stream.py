"""A model's answer streamed token by token over every door, on the local stack over real HTTP: v1 SSE
(`message.delta` in order under one message id, then `message.completed`), ACP's stream (custom
updates) and A2A's (artifact updates appended per message, then the whole message)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from a2a.types import a2a_pb2 as pb
from httpx_sse import connect_sse

from tests.doors.a2a.test_a2a_client import client_for, collect, run, states, text_message
from tests.doors.acp.acp_spec import acp_conforms
from tests.doors.acp.test_acp import agent_id_of

pytestmark = pytest.mark.e2e

QUESTION = "what is six times seven"
ANSWER = f"You asked: {QUESTION}. The answer is 42."


def sse_events(http: httpx.Client, run_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every event of the run over SSE, reconnecting with Last-Event-ID across windows until `end`."""
    events: list[tuple[str, dict[str, Any]]] = []
    last_id = "0"
    for _ in range(200):
        with connect_sse(
            http, "GET", f"/v1/runs/{run_id}/events", headers={"Last-Event-ID": last_id}
        ) as source:
            for message in source.iter_sse():
                if message.event == "end":
                    return events
                last_id = message.id or last_id
                events.append((message.event, json.loads(message.data)))
    raise AssertionError(f"no end after 200 windows: {events[-3:]}")


def test_v1_streams_each_delta_in_order_then_the_whole_message(http: httpx.Client) -> None:
    run_id = http.post(
        "/v1/runs", json={"workflow": {"name": "model-chat"}, "input": {"question": QUESTION}}
    ).json()["run_id"]
    events = sse_events(http, run_id)
    message_id = f"msg_{run_id}_1"
    deltas = [e["data"] for kind, e in events if kind == "message.delta"]
    assert [d["index"] for d in deltas] == list(range(len(deltas)))
    assert {d["message_id"] for d in deltas} == {message_id}
    assert "".join(d["text"] for d in deltas) == ANSWER
    kinds = [kind for kind, _ in events]
    completed_at = kinds.index("message.completed")
    assert completed_at > max(i for i, k in enumerate(kinds) if k == "message.delta")
    completed = events[completed_at][1]["data"]
    assert completed["message_id"] == message_id
    assert completed["message"] == {"role": "assistant", "parts": [{"type": "text", "text": ANSWER}]}
    assert completed["stop_reason"] == "end_turn" and completed["model_id"] == "scripted"
    assert completed["usage"]["output_tokens"] == len(deltas)
    assert kinds[-1] == "run.succeeded"
    assert http.get(f"/v1/runs/{run_id}").json()["output"] == {"text": ANSWER, "model_id": "scripted"}


def test_acp_custom_stream_carries_the_deltas(base_url: str, api_key: str) -> None:
    with httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=60) as acp:
        agent = agent_id_of(acp, "model-chat")
        streamed = acp.post(
            "/runs/stream",
            json={"agent_id": agent, "input": {"question": QUESTION}, "stream_mode": ["values", "custom"]},
        )
        updates = acp_conforms(streamed, "create_and_stream_stateless_run_output")
    custom = [u["update"] for u in updates if u["type"] == "custom"]
    deltas = [u for u in custom if u["event"] == "message.delta"]
    assert [d["index"] for d in deltas] == list(range(len(deltas)))
    assert "".join(d["text"] for d in deltas) == ANSWER
    assert custom[-1]["event"] == "message.completed"
    assert updates[-1]["type"] == "values" and updates[-1]["values"]["text"] == ANSWER


@pytest.mark.parametrize("binding", ["JSONRPC", "HTTP+JSON"])
def test_a2a_streams_the_message_as_an_appended_artifact(base_url: str, api_key: str, binding: str) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "model-chat")
        async with http:
            events = await collect(client.send_message(pb.SendMessageRequest(message=text_message(QUESTION))))
        assert states(events)[-1] == "TASK_STATE_COMPLETED"
        updates = [e.artifact_update for e in events if e.HasField("artifact_update")]
        pieces = [u for u in updates if u.artifact.name == "message" and not u.last_chunk]
        assert [u.append for u in pieces] == [False] + [True] * (len(pieces) - 1)
        assert "".join(u.artifact.parts[0].text for u in pieces) == ANSWER
        [whole] = [u for u in updates if u.artifact.name == "message" and u.last_chunk]
        assert whole.artifact.parts[0].text == ANSWER
        assert whole.artifact.artifact_id == pieces[0].artifact.artifact_id

    run(session)

"""Oversize input answers the door's own 4xx, before any write (issue 21, item 7): an A2A message over
about 400 KB (the body limit is 2 MiB) and ACP run or thread `metadata` over 400 KB returned internal
errors, since each sits whole in a DynamoDB item."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

PAD = "x" * 500_000  # over DynamoDB's 400 KB item, under the 2 MiB body limit


@pytest.fixture
def acp(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=30) as client:
        yield client


def echo_agent(acp: httpx.Client) -> str:
    (agent,) = acp.post("/agents/search", json={"name": "echo_agent"}).json()
    return str(agent["agent_id"])


def a2a_send(http: httpx.Client, message: dict[str, Any]) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "SendMessage",
        "params": {"message": message, "metadata": {"skill": "echo"}},
    }
    return http.post("/a2a", json=body, headers={"A2A-Version": "1.0"})


def message(**extra: Any) -> dict[str, Any]:
    return {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"data": {"n": 1}}], **extra}


def test_an_a2a_message_over_its_limit_is_invalid_params_and_creates_no_task(http: httpx.Client) -> None:
    reply = a2a_send(http, message(metadata={"pad": PAD}))
    assert reply.status_code == 200, reply.text
    error = reply.json()["error"]
    assert error["code"] == -32602, error  # before: -32603 (an internal error)
    assert "262144" in error["message"] or "262144" in str(error.get("data"))
    listed = http.post("/a2a", json={"jsonrpc": "2.0", "id": 2, "method": "ListTasks", "params": {}},
                       headers={"A2A-Version": "1.0"}).json()  # fmt: skip
    assert listed["result"].get("tasks", []) == []
    # The same message within the limit is served.
    assert "result" in a2a_send(http, message(metadata={"pad": "x" * 1000})).json()


def test_acp_metadata_over_its_limit_is_a_422_and_nothing_is_written(acp: httpx.Client) -> None:
    agent = echo_agent(acp)
    run = acp.post("/runs", json={"agent_id": agent, "input": {"messages": []}, "metadata": {"pad": PAD}})
    assert run.status_code == 422, run.text  # before: 500
    thread = acp.post("/threads", json={"metadata": {"pad": PAD}})
    assert thread.status_code == 422, thread.text
    assert acp.post("/threads/search", json={}).json() == []
    made = acp.post("/threads", json={"metadata": {"small": True}})
    assert made.status_code == 200, made.text
    patched = acp.patch(f"/threads/{made.json()['thread_id']}", json={"metadata": {"pad": PAD}})
    assert patched.status_code == 422, patched.text
    assert acp.post("/runs/search", json={}).json() == []


@pytest.mark.parametrize(
    "messages",
    [
        [{"content": "no role"}],
        [{"role": "user"}],
        [{"role": "user", "content": 42}],
        [{"role": "user", "content": [{"type": "text"}]}],
        [{"role": "user", "content": [{"text": "no type"}]}],
    ],
    ids=["no-role", "no-content", "content-number", "text-block-without-text", "block-without-type"],
)
def test_acp_thread_messages_that_are_not_acp_messages_are_a_422(
    acp: httpx.Client, messages: list[dict[str, Any]]
) -> None:
    thread = acp.post("/threads", json={}).json()["thread_id"]
    patched = acp.patch(f"/threads/{thread}", json={"messages": messages})
    assert patched.status_code == 422, patched.text  # before: 200, stored as sent
    good = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"role": "ai", "content": "ok"}]
    assert acp.patch(f"/threads/{thread}", json={"messages": good}).status_code == 200

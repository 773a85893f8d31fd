"""JSON-RPC ids and notifications on A2A's binding (issue 21, item 10): an invalid id (an object, an
array, a megabyte string) was echoed back, and a notification (no id) was answered and executed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e
HEADERS = {"A2A-Version": "1.0"}


def post(http: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return http.post("/a2a", json=body, headers=HEADERS)


def list_tasks(http: httpx.Client) -> list[Any]:
    reply = post(http, {"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": {}}).json()
    tasks: list[Any] = reply["result"].get("tasks", [])
    return tasks


@pytest.mark.parametrize("bad_id", [{"a": 1}, [1, 2], "x" * 1_000_000], ids=["object", "array", "1MB"])
def test_an_invalid_id_is_answered_with_a_null_id(http: httpx.Client, bad_id: Any) -> None:
    reply = post(http, {"jsonrpc": "2.0", "id": bad_id, "method": "ListTasks", "params": {}})
    assert reply.status_code == 200
    body = reply.json()
    assert body["id"] is None
    assert body["error"]["code"] == -32600
    assert len(reply.content) < 10_000


def test_a_notification_is_neither_answered_nor_executed(http: httpx.Client) -> None:
    message = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"data": {"n": 1}}]}
    params = {"message": message, "metadata": {"skill": "echo"}}
    reply = post(http, {"jsonrpc": "2.0", "method": "SendMessage", "params": params})
    assert (reply.status_code, reply.content) == (204, b"")
    assert list_tasks(http) == []  # before: a task was created
    # With an id, the same request is answered.
    assert (
        "result"
        in post(http, {"jsonrpc": "2.0", "id": "a", "method": "SendMessage", "params": params}).json()
    )


def test_a_v1_idempotency_key_cannot_name_an_a2a_messages_run(http: httpx.Client) -> None:
    message_id = uuid.uuid4().hex
    message = {"messageId": message_id, "role": "ROLE_USER", "parts": [{"data": {"n": 1}}]}
    params = {"message": message, "metadata": {"skill": "echo"}, "configuration": {"returnImmediately": True}}
    sent = post(http, {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": params}).json()
    assert "result" in sent
    before = len(http.get("/v1/runs").json()["data"])
    reply = http.post(
        "/v1/runs",
        json={"workflow": {"name": "echo"}, "input": {"n": 1}},
        headers={"Idempotency-Key": f"a2a:{message_id}"},
    )
    # Before: the A2A message's run came back as this request's (a replay, or a 409).
    assert reply.status_code == 400, reply.text
    assert [e["field"] for e in reply.json()["errors"]] == ["Idempotency-Key"]
    assert len(http.get("/v1/runs").json()["data"]) == before


@pytest.mark.parametrize(
    ("headers", "kept_out"),
    [
        ({"Host": "evil.example/<script>", "X-Forwarded-Proto": "https"}, "<script>"),
        ({"X-Forwarded-Proto": "javascript"}, "javascript:"),
    ],
    ids=["host", "proto"],
)
def test_the_public_agent_card_takes_only_a_well_formed_host_and_scheme(
    base_url: str, headers: dict[str, str], kept_out: str
) -> None:
    reply = httpx.get(f"{base_url}/.well-known/agent-card.json", headers=headers)
    assert reply.status_code == 200
    assert kept_out not in reply.text  # before: reflected into a publicly cacheable card
    assert {part.strip() for part in reply.headers["vary"].split(",")} >= {"Host", "X-Forwarded-Proto"}

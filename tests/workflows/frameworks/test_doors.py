"""A PydanticAI tool approval answered through ACP and A2A, as through v1 (test_on_stack.py): the tool
runs only when approved, and the model sees a rejection's reason."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.workflows.frameworks.samples import CALLS

A2A = {"A2A-Version": "1.0"}


@pytest.fixture
def acp(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=60) as client:
        yield client


def _run(http: httpx.Client, run_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {statuses}")


def _rpc_body(message: dict[str, Any]) -> dict[str, Any]:
    params = {"tenant": "fw_support", "message": message}
    return {"jsonrpc": "2.0", "id": "1", "method": "SendMessage", "params": params}


def _answer_when_waiting(send: Callable[[], httpx.Response], a2a: bool = False) -> httpx.Response:
    """Send an answer, again while the door says the run is not waiting (the race above), for 10 s."""
    deadline = time.monotonic() + 10
    while True:
        reply = send()
        refused = "error" in reply.json() if a2a else reply.status_code == 409
        if not refused or time.monotonic() > deadline:
            assert not refused, reply.text
            return reply
        time.sleep(0.2)


def test_acp_approves_a_tool_call(acp: httpx.Client, http: httpx.Client) -> None:
    key = f"order-{uuid.uuid4().hex[:8]}"
    [agent] = acp.post("/agents/search", json={"name": "fw_support", "version": "1.0.0"}).json()
    waited = acp.post("/runs/wait", json={"agent_id": agent["agent_id"], "input": {"prompt": key}}).json()
    assert waited["run"]["status"] == "interrupted"
    assert "tool_approval" in waited["output"]["interrupt"]
    run_id = waited["run"]["run_id"]
    # Known race (reported to the lead, not fixed here): right after the checkpoint opens, the run
    # can read as interrupted and then briefly as pending again while its invocation ends, and ACP's
    # resume refuses a run that is not interrupted (409). Answer once it holds still.
    resumed = _answer_when_waiting(
        lambda: acp.post(f"/runs/{run_id}", json={"tool_approval": {"approved": True, "comment": "via acp"}})
    )
    assert resumed.status_code == 200, resumed.text
    run = _run(http, run_id, {"succeeded", "failed"})
    assert run["output"]["output"] == f"refund: refunded 30 USD on {key}"
    assert CALLS[("refund", key)] == 1


def test_a2a_rejects_a_tool_call(http: httpx.Client) -> None:
    key = f"order-{uuid.uuid4().hex[:8]}"
    first = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"data": {"prompt": key}}]}
    reply = http.post("/a2a", json=_rpc_body(first), headers=A2A).json()
    assert "result" in reply, reply
    task = reply["result"]["task"]
    _run(http, task["id"], {"waiting_for_input"})  # as for ACP above
    answer = {
        "messageId": str(uuid.uuid4()),
        "role": "ROLE_USER",
        "taskId": task["id"],
        "parts": [{"data": {"approved": False, "reason": "via a2a"}}],
    }
    _answer_when_waiting(lambda: http.post("/a2a", json=_rpc_body(answer), headers=A2A), a2a=True)
    run = _run(http, task["id"], {"succeeded", "failed"})
    assert run["output"]["output"] == "refund: via a2a"
    assert CALLS[("refund", key)] == 0

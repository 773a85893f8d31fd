"""A durable run's human checkpoint (a callback) answered through ACP and A2A, as through v1: the run
goes on exactly once, with the answer its code sees."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

A2A = {"A2A-Version": "1.0"}


@pytest.fixture
def acp(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=60) as client:
        yield client


def _run(http: httpx.Client, run_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {statuses}")


def test_acp_resumes_a_durable_run_waiting_in_its_loop(acp: httpx.Client, http: httpx.Client) -> None:
    [agent] = acp.post("/agents/search", json={"name": "d_loop", "version": "1.0.0"}).json()
    body = {"agent_id": agent["agent_id"], "input": {"key": uuid.uuid4().hex[:8], "steps": 4, "ask_at": 2}}
    waited = acp.post("/runs/wait", json=body).json()
    assert waited["run"]["status"] == "interrupted"
    run_id = waited["run"]["run_id"]
    assert waited["output"]["type"] == "interrupt" and "review" in waited["output"]["interrupt"]
    resumed = acp.post(f"/runs/{run_id}", json={"review": {"approved": True, "comment": "via acp"}})
    assert resumed.status_code == 200, resumed.text
    assert acp.post(f"/runs/{run_id}", json={"review": {"approved": True}}).status_code == 409
    run = _run(http, run_id, {"succeeded", "failed"})
    assert run["output"] == {"total": 0 + 1 + 2 + 3, "approved": True, "comment": "via acp"}


def test_a2a_answers_a_durable_run_with_a_message(http: httpx.Client) -> None:
    def rpc(method: str, params: dict[str, Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": "1", "method": method, "params": {"tenant": "d_loop", **params}}
        reply = http.post("/a2a", json=body, headers=A2A).json()
        assert "result" in reply, reply
        return reply["result"]

    first = {
        "messageId": str(uuid.uuid4()),
        "role": "ROLE_USER",
        "parts": [{"data": {"key": "a2a", "steps": 3, "ask_at": 1}}],
    }
    task = rpc("SendMessage", {"message": first})["task"]
    if task["status"]["state"] != "TASK_STATE_INPUT_REQUIRED":
        _run(http, task["id"], {"waiting_for_input"})
    answer = {
        "messageId": str(uuid.uuid4()),
        "role": "ROLE_USER",
        "taskId": task["id"],
        "parts": [{"data": {"approved": False, "reason": "via a2a"}}],
    }
    rpc("SendMessage", {"message": answer})
    run = _run(http, task["id"], {"succeeded", "failed"})
    assert run["output"] == {"total": 0, "approved": False, "comment": None}
    # The same answer sent again (a client's retry) gets the task back, not an error, and changes nothing.
    again = rpc("SendMessage", {"message": answer})
    assert again["task"]["id"] == task["id"]
    assert [e["type"] for e in http.get(f"/v1/runs/{task['id']}/events").json()["data"]].count(
        "checkpoint.resolved"
    ) == 1

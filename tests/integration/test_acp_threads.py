"""ACP threads and runs through the handlers: state shared across runs, multitask strategies, resume
validation. (Protocol conformance and the real ACP client are in tests/contract and tests/e2e.)"""

from __future__ import annotations

from typing import Any

from agent_runtime.acp.agents import agent_id
from agent_runtime.workflows.registry import registry
from tests.conftest import Api


def echo_agent() -> str:
    return agent_id(registry().get("echo_agent"))


def human(text: str) -> dict[str, Any]:
    return {"messages": [{"type": "human", "content": text}]}


def test_two_thread_runs_share_the_threads_messages(api: Api) -> None:
    thread = api("POST", "/threads", body={"metadata": {"topic": "greetings"}}).json()
    path = f"/threads/{thread['thread_id']}/runs/wait"
    first = api("POST", path, body={"agent_id": echo_agent(), "input": human("one")}).json()
    assert first["output"]["values"]["messages"][-1] == {"type": "ai", "content": "one"}
    second = api("POST", path, body={"agent_id": echo_agent(), "input": human("two")}).json()
    # The second run saw the first run's conversation through the thread
    assert [m["content"] for m in second["output"]["values"]["messages"]] == ["one", "one", "two", "two"]
    state = api("GET", f"/threads/{thread['thread_id']}").json()
    assert state["status"] == "idle"
    assert [m["role"] for m in state["messages"]] == ["human", "ai", "human", "ai"]
    history = api("GET", f"/threads/{thread['thread_id']}/history").json()
    assert [h["checkpoint"]["checkpoint_id"] for h in history] == [
        second["run"]["run_id"],
        first["run"]["run_id"],
    ]
    runs = api("GET", f"/threads/{thread['thread_id']}/runs").json()
    assert {r["run_id"] for r in runs} == {first["run"]["run_id"], second["run"]["run_id"]}


def test_a_thread_with_a_run_in_progress_rejects_another_by_default(api: Api) -> None:
    thread_id = api("POST", "/threads", body={}).json()["thread_id"]
    body = {"agent_id": echo_agent(), "input": human("wait"), "config": {"interrupt_count": 1}}
    interrupted = api("POST", f"/threads/{thread_id}/runs/wait", body=body).json()
    assert interrupted["run"]["status"] == "interrupted"
    assert api("GET", f"/threads/{thread_id}").json()["status"] == "interrupted"
    rejected = api("POST", f"/threads/{thread_id}/runs", body={"agent_id": echo_agent(), "input": human("x")})
    assert rejected.status == 409
    assert isinstance(rejected.json(), str)  # ACP's ErrorResponse is a string
    # multitask_strategy interrupt cancels the current run and starts the new one
    replaced = api(
        "POST",
        f"/threads/{thread_id}/runs/wait",
        body={"agent_id": echo_agent(), "input": human("y"), "multitask_strategy": "interrupt"},
    ).json()
    assert replaced["run"]["status"] == "success"
    old = api("GET", f"/threads/{thread_id}/runs/{interrupted['run']['run_id']}").json()
    assert old["status"] == "error"


def test_resume_validates_the_payload_and_refuses_runs_that_are_not_interrupted(api: Api) -> None:
    body = {"agent_id": echo_agent(), "input": human("hi"), "config": {"interrupt_count": 1}}
    run = api("POST", "/runs/wait", body=body).json()
    run_id = run["run"]["run_id"]
    assert run["output"] == {
        "type": "interrupt",
        "interrupt": {"echo_interrupt": {"messages": [{"type": "ai", "content": "hi"}]}},
    }
    bad = api(
        "POST", f"/runs/{run_id}", body={"echo_interrupt": {"messages": [{"type": "robot", "content": "x"}]}}
    )
    assert bad.status == 422
    ok = api(
        "POST", f"/runs/{run_id}", body={"messages": [{"type": "human", "content": "next"}]}
    )  # raw payload
    assert ok.status == 200
    done = api("GET", f"/runs/{run_id}/wait").json()
    assert done["output"]["values"]["messages"][-1] == {"type": "ai", "content": "next"}
    assert api("POST", f"/runs/{run_id}", body={"messages": []}).status == 409


def test_acp_runs_and_threads_of_another_tenant_are_invisible(api: Api, other_api: Api) -> None:
    run_id = api("POST", "/runs", body={"agent_id": echo_agent(), "input": human("secret")}).json()["run_id"]
    thread_id = api("POST", "/threads", body={}).json()["thread_id"]
    assert other_api("GET", f"/runs/{run_id}").status == 404
    assert other_api("GET", f"/threads/{thread_id}").status == 404
    assert other_api("POST", "/runs/search", body={}).json() == []
    assert other_api("POST", "/threads/search", body={}).json() == []


def test_cancel_and_delete(api: Api) -> None:
    body = {"agent_id": echo_agent(), "input": human("x"), "config": {"interrupt_count": 1}}
    run_id = api("POST", "/runs/wait", body=body).json()["run"]["run_id"]
    assert api("POST", f"/runs/{run_id}/cancel").status == 204
    assert api("GET", f"/runs/{run_id}").json()["status"] == "error"
    assert api("POST", f"/runs/{run_id}/cancel").status == 204  # idempotent
    assert api("DELETE", f"/runs/{run_id}").status == 204
    assert api("GET", f"/runs/{run_id}").status == 404

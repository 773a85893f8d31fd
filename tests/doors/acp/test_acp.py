"""ACP 0.2.3 conformance over real HTTP: a scripted session drives every ACP operation against the
local stack and checks each answer against openapi/acp-openapi-0.2.3.json (status documented, body
valid, SSE frames `event: agent_event` with increasing ids and a valid stream update as data).

Deliberate deviations from the spec, accepted here and listed in the README:
- `GET .../wait` answers 204 (no body) when `?block_timeout=` seconds pass before the run has an
  output (ACP 0.2.3 has no block_timeout and documents no 204);
- 401 for a missing or unknown API key (the spec declares no security);
- 413 / 415 for bodies that are too large or not JSON (the spec only knows 422 for client errors).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.doors.acp.acp_spec import (
    acp_conforms,
    acp_operations,
    check_stream,
    parse_frames,
    pointer,
    validate_acp,
)

pytestmark = pytest.mark.e2e

WAIT_EXPIRED = frozenset({204})  # `?block_timeout=` expired: the deviation the issue asks for


@pytest.fixture
def acp(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    """An ACP client of this test's tenant, authenticated with x-api-key (as ACP clients do)."""
    with httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=60) as client:
        yield client


def agent_id_of(acp: httpx.Client, name: str, version: str = "1.0.0") -> str:
    query = {"name": name, "version": "0.1.0" if name == "echo_agent" else version}
    found = acp_conforms(acp.post("/agents/search", json=query), "search_agents")
    assert len(found) == 1, found
    agent_id: str = found[0]["agent_id"]
    return agent_id


def human(text: str) -> dict[str, Any]:
    return {"messages": [{"type": "human", "content": text}]}


def wait_output(acp: httpx.Client, path: str, operation_id: str, timeout: float = 30) -> dict[str, Any]:
    """GET a wait endpoint until it has the run's output (a 204 means: not yet)."""
    deadline = time.monotonic() + timeout
    while True:
        response = acp.get(path, params={"block_timeout": 5})
        body = acp_conforms(response, operation_id, allow=WAIT_EXPIRED)
        if body is not None:
            assert "output" in body, body
            return dict(body)
        assert time.monotonic() < deadline, f"{path} has no output after {timeout}s"


# --- the document ------------------------------------------------------------------------------------


def test_acp_spec_is_the_reference_0_2_3() -> None:
    from tests.doors.acp.acp_spec import acp_spec

    assert acp_spec()["info"]["version"] == "0.2.3"
    assert acp_spec()["openapi"].startswith("3.1")
    assert len(acp_operations()) == 30


# --- agents ------------------------------------------------------------------------------------------


def test_agents_conform(acp: httpx.Client) -> None:
    everything = acp_conforms(acp.post("/agents/search", json={"limit": 1000}), "search_agents")
    names = {a["metadata"]["ref"]["name"] for a in everything}
    assert {"echo", "echo_agent", "approval", "counter"} <= names
    page = acp_conforms(acp.post("/agents/search", json={"limit": 2, "offset": 1}), "search_agents")
    assert page == everything[1:3]
    versions = acp_conforms(
        acp.post("/agents/search", json={"name": "counter", "version": "1.1.0"}), "search_agents"
    )
    assert [a["metadata"]["ref"] for a in versions] == [{"name": "counter", "version": "1.1.0"}]
    assert acp_conforms(acp.post("/agents/search", json={"name": "nope"}), "search_agents") == []
    assert isinstance(acp_conforms(acp.post("/agents/search", json={"limit": 0}), "search_agents"), str)

    echo = agent_id_of(acp, "echo_agent")
    agent = acp_conforms(acp.get(f"/agents/{echo}"), "get_agent_by_id")
    assert agent["agent_id"] == echo
    descriptor = acp_conforms(acp.get(f"/agents/{echo}/descriptor"), "get_acp_descriptor_by_id")
    validate_acp(descriptor, pointer("components", "schemas", "AgentACPDescriptor"))
    specs = descriptor["specs"]
    assert specs["capabilities"]["interrupts"] is True and specs["capabilities"]["threads"] is True
    assert [i["interrupt_type"] for i in specs["interrupts"]] == ["echo_interrupt"]
    assert set(specs["config"]["properties"]) >= {"to_upper", "to_lower", "interrupt_count"}

    missing = str(uuid.uuid4())
    assert isinstance(acp_conforms(acp.get(f"/agents/{missing}"), "get_agent_by_id"), str)
    assert acp.get(f"/agents/{missing}").status_code == 404
    assert acp.get(f"/agents/{missing}/descriptor").status_code == 404
    acp_conforms(acp.get(f"/agents/{missing}/descriptor"), "get_acp_descriptor_by_id")


# --- stateless runs ----------------------------------------------------------------------------------


def test_stateless_run_lifecycle_conforms(acp: httpx.Client) -> None:
    echo = agent_id_of(acp, "echo_agent")
    body = {
        "agent_id": echo,
        "input": human("Hello"),
        "config": {"configurable": {"to_upper": True}},
        "metadata": {"case": "lifecycle"},
    }
    run = acp_conforms(acp.post("/runs", json=body), "create_stateless_run")
    run_id = run["run_id"]
    assert run["agent_id"] == echo and run["status"] == "pending"
    assert run["creation"]["input"] == human("Hello")
    assert "thread_id" not in run

    waited = wait_output(acp, f"/runs/{run_id}/wait", "wait_for_stateless_run_output")
    assert waited["run"]["status"] == "success"
    assert waited["output"]["type"] == "result"
    assert waited["output"]["values"]["messages"] == [
        {"type": "human", "content": "Hello"},
        {"type": "assistant", "content": "HELLO"},
    ]
    got = acp_conforms(acp.get(f"/runs/{run_id}"), "get_stateless_run")
    assert got["status"] == "success" and got["creation"]["metadata"] == {"case": "lifecycle"}

    # Joining the stream of a finished run replays its output, then the stream ends.
    stream = acp.get(f"/runs/{run_id}/stream", headers={"Accept": "text/event-stream"})
    updates = acp_conforms(stream, "stream_stateless_run_output")
    # The agent's last values while pending (as the reference echo agent streams), then success.
    assert [(u["type"], u["status"]) for u in updates] == [("values", "pending"), ("values", "success")]
    assert updates[-1]["status"] == "success" and updates[-1]["run_id"] == run_id
    last_id = parse_frames(stream.text)[-1]["id"]
    resumed = acp.get(f"/runs/{run_id}/stream", headers={"Last-Event-ID": last_id})
    assert acp_conforms(resumed, "stream_stateless_run_output") == []

    found = acp_conforms(
        acp.post(
            "/runs/search", json={"agent_id": echo, "status": "success", "metadata": {"case": "lifecycle"}}
        ),
        "search_stateless_runs",
    )
    assert [r["run_id"] for r in found] == [run_id]
    assert acp_conforms(acp.post("/runs/search", json={"status": "timeout"}), "search_stateless_runs") == []

    # Cancelling a finished run changes nothing (204: idempotent); deleting it removes it.
    assert acp_conforms(acp.post(f"/runs/{run_id}/cancel"), "cancel_stateless_run") is None
    assert acp.get(f"/runs/{run_id}").json()["status"] == "success"
    assert acp_conforms(acp.delete(f"/runs/{run_id}"), "delete_stateless_run") is None
    for response, operation in (
        (acp.get(f"/runs/{run_id}"), "get_stateless_run"),
        (acp.get(f"/runs/{run_id}/wait"), "wait_for_stateless_run_output"),
        (acp.get(f"/runs/{run_id}/stream"), "stream_stateless_run_output"),
        (acp.post(f"/runs/{run_id}", json={}), "resume_stateless_run"),
        (acp.post(f"/runs/{run_id}/cancel"), "cancel_stateless_run"),
        (acp.delete(f"/runs/{run_id}"), "delete_stateless_run"),
    ):
        assert response.status_code == 404, (operation, response.text)
        assert isinstance(acp_conforms(response, operation), str)


def test_create_and_wait_and_create_and_stream_conform(acp: httpx.Client) -> None:
    echo = agent_id_of(acp, "echo_agent")
    waited = acp_conforms(
        acp.post(
            "/runs/wait",
            json={"agent_id": echo, "input": human("Quiet"), "config": {"configurable": {"to_lower": True}}},
        ),
        "create_and_wait_for_stateless_run_output",
    )
    assert waited["run"]["status"] == "success"
    assert waited["output"]["values"]["messages"][-1]["content"] == "quiet"

    streamed = acp.post("/runs/stream", json={"agent_id": echo, "input": human("stream me")})
    updates = acp_conforms(streamed, "create_and_stream_stateless_run_output")
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert updates[-1]["type"] == "values" and updates[-1]["status"] == "success"
    assert updates[-1]["values"]["messages"][-1]["content"] == "stream me"

    # custom mode: the workflow's own events arrive as custom updates before the final values.
    counter = agent_id_of(acp, "counter")
    custom = acp.post(
        "/runs/stream",
        json={"agent_id": counter, "input": {"name": "c", "count": 2}, "stream_mode": ["values", "custom"]},
    )
    updates = acp_conforms(custom, "create_and_stream_stateless_run_output")
    assert [u["type"] for u in updates] == ["custom", "values", "values"]
    assert updates[0]["update"]["event"] == "progress.note"
    assert updates[-1]["values"] == {"name": "c", "total": 6}


def test_failed_run_conforms(acp: httpx.Client) -> None:
    failing = agent_id_of(acp, "failing")
    waited = acp_conforms(
        acp.post("/runs/wait", json={"agent_id": failing, "input": {"message": "x"}}),
        "create_and_wait_for_stateless_run_output",
    )
    assert waited["run"]["status"] == "error"
    assert waited["output"]["type"] == "error" and waited["output"]["errcode"] == 500
    assert waited["output"]["run_id"] == waited["run"]["run_id"]
    updates = acp_conforms(acp.get(f"/runs/{waited['run']['run_id']}/stream"), "stream_stateless_run_output")
    assert [(u["type"], u["status"]) for u in updates] == [("error", "error")]


def test_interrupt_and_resume_conform(acp: httpx.Client) -> None:
    echo = agent_id_of(acp, "echo_agent")
    body = {"agent_id": echo, "input": human("first"), "config": {"configurable": {"interrupt_count": 1}}}
    waited = acp_conforms(acp.post("/runs/wait", json=body), "create_and_wait_for_stateless_run_output")
    run_id = waited["run"]["run_id"]
    assert waited["run"]["status"] == "interrupted"
    # Interrupts are keyed by their interrupt_type.
    assert waited["output"] == {
        "type": "interrupt",
        "interrupt": {
            "echo_interrupt": {
                "messages": [{"type": "human", "content": "first"}, {"type": "assistant", "content": "first"}]
            }
        },
    }
    updates = acp_conforms(acp.get(f"/runs/{run_id}/stream"), "stream_stateless_run_output")
    assert [(u["type"], u["status"]) for u in updates] == [("interrupt", "interrupted")]
    again = acp_conforms(acp.get(f"/runs/{run_id}/wait"), "wait_for_stateless_run_output")
    assert again["output"]["type"] == "interrupt"

    bad = acp.post(
        f"/runs/{run_id}", json={"echo_interrupt": {"messages": [{"type": "robot", "content": "x"}]}}
    )
    assert bad.status_code == 422
    acp_conforms(bad, "resume_stateless_run")
    resumed = acp_conforms(
        acp.post(f"/runs/{run_id}", json={"echo_interrupt": human("second")}), "resume_stateless_run"
    )
    assert resumed["run_id"] == run_id
    done = wait_output(acp, f"/runs/{run_id}/wait", "wait_for_stateless_run_output")
    assert done["output"]["values"]["messages"] == [
        {"type": "human", "content": "second"},
        {"type": "assistant", "content": "second"},
    ]
    conflict = acp.post(f"/runs/{run_id}", json=human("third"))
    assert conflict.status_code == 409
    acp_conforms(conflict, "resume_stateless_run")


def test_pending_run_wait_expiry_and_cancel_conform(acp: httpx.Client) -> None:
    slow = agent_id_of(acp, "slow")
    run = acp_conforms(
        acp.post("/runs", json={"agent_id": slow, "input": {"steps": 40, "seconds": 0.5}}),
        "create_stateless_run",
    )
    run_id = run["run_id"]
    # The deviation: a wait that expires before the run has an output answers 204.
    expired = acp.get(f"/runs/{run_id}/wait", params={"block_timeout": 0.2})
    assert expired.status_code == 204
    assert acp_conforms(expired, "wait_for_stateless_run_output", allow=WAIT_EXPIRED) is None
    pending = acp_conforms(acp.post("/runs/search", json={"status": "pending"}), "search_stateless_runs")
    assert [r["run_id"] for r in pending] == [run_id]

    assert acp_conforms(acp.post(f"/runs/{run_id}/cancel"), "cancel_stateless_run") is None
    assert acp_conforms(acp.post(f"/runs/{run_id}/cancel"), "cancel_stateless_run") is None  # idempotent
    cancelled = wait_output(acp, f"/runs/{run_id}/wait", "wait_for_stateless_run_output")
    assert cancelled["run"]["status"] == "error"
    assert cancelled["output"]["type"] == "error" and cancelled["output"]["errcode"] == 499
    updates = acp_conforms(acp.get(f"/runs/{run_id}/stream"), "stream_stateless_run_output")
    assert updates[-1]["type"] == "error" and updates[-1]["status"] == "error"
    assert acp_conforms(acp.post(f"/runs/{run_id}", json={}), "resume_stateless_run")  # 409: not interrupted


# --- threads -----------------------------------------------------------------------------------------


def test_thread_lifecycle_conforms(acp: httpx.Client) -> None:
    echo = agent_id_of(acp, "echo_agent")
    thread_id = str(uuid.uuid4())
    thread = acp_conforms(
        acp.post("/threads", json={"thread_id": thread_id, "metadata": {"topic": "acp"}}), "create_thread"
    )
    assert thread["thread_id"] == thread_id and thread["status"] == "idle"
    duplicate = acp.post("/threads", json={"thread_id": thread_id})
    assert duplicate.status_code == 409
    acp_conforms(duplicate, "create_thread")
    same = acp_conforms(
        acp.post("/threads", json={"thread_id": thread_id, "if_exists": "do_nothing"}), "create_thread"
    )
    assert same["metadata"] == {"topic": "acp"}
    assert acp_conforms(acp.get(f"/threads/{thread_id}"), "get_thread")["thread_id"] == thread_id

    # Two runs on the thread share its state: the second sees the first's conversation.
    runs = f"/threads/{thread_id}/runs"
    first = acp_conforms(acp.post(runs, json={"agent_id": echo, "input": human("one")}), "create_thread_run")
    assert first["thread_id"] == thread_id
    first_out = wait_output(acp, f"{runs}/{first['run_id']}/wait", "wait_for_thread_run_output")
    assert first_out["run"]["thread_id"] == thread_id
    second = acp_conforms(
        acp.post(f"{runs}/wait", json={"agent_id": echo, "input": human("two")}),
        "create_and_wait_for_thread_run_output",
    )
    # The input's messages replace the conversation (the reference echo agent): two, not one + two.
    contents = [m["content"] for m in second["output"]["values"]["messages"]]
    assert contents == ["two", "two"]
    streamed = acp.post(f"{runs}/stream", json={"agent_id": echo, "input": human("three")})
    updates = acp_conforms(streamed, "create_and_stream_thread_run_output")
    assert [m["content"] for m in updates[-1]["values"]["messages"]] == ["three", "three"]
    third_id = updates[-1]["run_id"]
    replay = acp_conforms(acp.get(f"{runs}/{third_id}/stream"), "stream_thread_run_output")
    assert replay == updates

    got = acp_conforms(acp.get(f"{runs}/{first['run_id']}"), "get_thread_run")
    assert got["status"] == "success" and got["thread_id"] == thread_id
    listed = acp_conforms(acp.get(runs), "list_thread_runs")
    assert {r["run_id"] for r in listed} == {first["run_id"], second["run"]["run_id"], third_id}
    assert len(acp_conforms(acp.get(runs, params={"limit": 1}), "list_thread_runs")) == 1

    state = acp_conforms(acp.get(f"/threads/{thread_id}"), "get_thread")
    assert state["status"] == "idle"
    assert [m["role"] for m in state["messages"]] == ["human", "assistant"]
    history = acp_conforms(acp.get(f"/threads/{thread_id}/history"), "get_thread_history")
    assert [h["checkpoint"]["checkpoint_id"] for h in history] == [
        third_id,
        second["run"]["run_id"],
        first["run_id"],
    ]
    assert (
        len(acp_conforms(acp.get(f"/threads/{thread_id}/history", params={"limit": 1}), "get_thread_history"))
        == 1
    )

    patched = acp_conforms(
        acp.patch(f"/threads/{thread_id}", json={"metadata": {"owner": "me"}, "values": {"note": "patched"}}),
        "patch_thread",
    )
    assert patched["metadata"] == {"topic": "acp", "owner": "me"} and patched["values"] == {"note": "patched"}
    found = acp_conforms(
        acp.post("/threads/search", json={"metadata": {"owner": "me"}, "values": {"note": "patched"}}),
        "search_threads",
    )
    assert [t["thread_id"] for t in found] == [thread_id]
    assert acp_conforms(acp.post("/threads/search", json={"status": "busy"}), "search_threads") == []
    copy = acp_conforms(acp.post(f"/threads/{thread_id}/copy"), "copy_thread")
    assert copy["thread_id"] != thread_id and copy["values"] == {"note": "patched"}
    assert copy["messages"] == patched["messages"]
    acp_conforms(acp.get(f"/threads/{copy['thread_id']}/history"), "get_thread_history")

    # A run of another thread is not found under this one.
    other = acp_conforms(acp.post("/threads", json={}), "create_thread")["thread_id"]
    assert acp.get(f"/threads/{other}/runs/{first['run_id']}").status_code == 404
    acp_conforms(acp.get(f"/threads/{other}/runs/{first['run_id']}"), "get_thread_run")

    assert acp_conforms(acp.delete(f"{runs}/{first['run_id']}"), "delete_thread_run") is None
    assert acp.get(f"{runs}/{first['run_id']}").status_code == 404
    assert acp_conforms(acp.delete(f"/threads/{thread_id}"), "delete_thread") is None
    for response, operation in (
        (acp.get(f"/threads/{thread_id}"), "get_thread"),
        (acp.patch(f"/threads/{thread_id}", json={}), "patch_thread"),
        (acp.get(f"/threads/{thread_id}/history"), "get_thread_history"),
        (acp.post(f"/threads/{thread_id}/copy"), "copy_thread"),
        (acp.get(runs), "list_thread_runs"),
        (acp.post(runs, json={"agent_id": echo, "input": human("x")}), "create_thread_run"),
        (
            acp.post(f"{runs}/wait", json={"agent_id": echo, "input": human("x")}),
            "create_and_wait_for_thread_run_output",
        ),
        (
            acp.post(f"{runs}/stream", json={"agent_id": echo, "input": human("x")}),
            "create_and_stream_thread_run_output",
        ),
        (acp.delete(f"/threads/{thread_id}"), "delete_thread"),
    ):
        assert response.status_code == 404, (operation, response.text)
        assert isinstance(acp_conforms(response, operation), str)
    # if_not_exists=create makes the thread the run needs.
    created = acp_conforms(
        acp.post(f"{runs}/wait", json={"agent_id": echo, "input": human("back"), "if_not_exists": "create"}),
        "create_and_wait_for_thread_run_output",
    )
    assert created["run"]["thread_id"] == thread_id and created["run"]["status"] == "success"


def test_thread_interrupt_resume_cancel_conform(acp: httpx.Client) -> None:
    echo = agent_id_of(acp, "echo_agent")
    thread_id = acp_conforms(acp.post("/threads", json={}), "create_thread")["thread_id"]
    runs = f"/threads/{thread_id}/runs"
    body = {"agent_id": echo, "input": human("ask"), "config": {"configurable": {"interrupt_count": 1}}}
    streamed = acp.post(f"{runs}/stream", json=body)
    updates = acp_conforms(streamed, "create_and_stream_thread_run_output")
    assert [u["type"] for u in updates] == ["interrupt"]
    run_id = updates[0]["run_id"]
    assert acp_conforms(acp.get(f"/threads/{thread_id}"), "get_thread")["status"] == "interrupted"
    busy = acp.post(runs, json={"agent_id": echo, "input": human("not now")})
    assert busy.status_code == 409
    acp_conforms(busy, "create_thread_run")
    found = acp_conforms(acp.post("/threads/search", json={"status": "interrupted"}), "search_threads")
    assert [t["thread_id"] for t in found] == [thread_id]

    resumed = acp_conforms(acp.post(f"{runs}/{run_id}", json=human("answer")), "resume_thread_run")
    assert resumed["thread_id"] == thread_id
    done = wait_output(acp, f"{runs}/{run_id}/wait", "wait_for_thread_run_output")
    assert [m["content"] for m in done["output"]["values"]["messages"]] == ["answer", "answer"]
    conflict = acp.post(f"{runs}/{run_id}", json=human("late"))
    assert conflict.status_code == 409
    acp_conforms(conflict, "resume_thread_run")

    # Cancel: an interrupted run becomes an error (errcode 499); cancelling again is still 204.
    second = acp_conforms(acp.post(f"{runs}/wait", json=body), "create_and_wait_for_thread_run_output")
    second_id = second["run"]["run_id"]
    assert second["output"]["type"] == "interrupt"
    assert acp_conforms(acp.post(f"{runs}/{second_id}/cancel"), "cancel_thread_run") is None
    assert acp_conforms(acp.post(f"{runs}/{second_id}/cancel"), "cancel_thread_run") is None
    cancelled = wait_output(acp, f"{runs}/{second_id}/wait", "wait_for_thread_run_output")
    assert cancelled["output"]["type"] == "error" and cancelled["output"]["errcode"] == 499
    assert (
        acp_conforms(acp.get(f"{runs}/{second_id}/stream"), "stream_thread_run_output")[-1]["type"] == "error"
    )
    assert acp_conforms(acp.get(f"/threads/{thread_id}"), "get_thread")["status"] == "idle"

    # multitask_strategy interrupt replaces the thread's run in progress.
    third = acp_conforms(acp.post(f"{runs}/wait", json=body), "create_and_wait_for_thread_run_output")
    replaced = acp_conforms(
        acp.post(
            f"{runs}/wait", json={"agent_id": echo, "input": human("new"), "multitask_strategy": "interrupt"}
        ),
        "create_and_wait_for_thread_run_output",
    )
    assert replaced["run"]["status"] == "success"
    assert acp_conforms(acp.get(f"{runs}/{third['run']['run_id']}"), "get_thread_run")["status"] == "error"
    unsupported = acp.post(
        f"{runs}/wait",
        json={"agent_id": echo, "input": human("q"), "config": {"configurable": {"interrupt_count": 1}}},
    )
    acp_conforms(unsupported, "create_and_wait_for_thread_run_output")
    enqueue = acp.post(
        runs, json={"agent_id": echo, "input": human("later"), "multitask_strategy": "enqueue"}
    )
    assert enqueue.status_code == 422
    acp_conforms(enqueue, "create_thread_run")


# --- errors ------------------------------------------------------------------------------------------


def test_client_errors_conform(acp: httpx.Client) -> None:
    echo = agent_id_of(acp, "echo_agent")
    run_id = acp_conforms(
        acp.post("/runs", json={"agent_id": echo, "input": human("x")}), "create_stateless_run"
    )["run_id"]
    cases: list[tuple[httpx.Response, str, int]] = [
        (
            acp.post("/runs", content=b"{not json", headers={"Content-Type": "application/json"}),
            "create_stateless_run",
            422,
        ),
        (acp.post("/runs", json=[1, 2]), "create_stateless_run", 422),
        (acp.post("/runs", json={"input": {}}), "create_stateless_run", 422),
        (acp.post("/runs", json={"agent_id": str(uuid.uuid4())}), "create_stateless_run", 404),
        (
            acp.post("/runs", json={"agent_id": echo, "input": {"messages": "nope"}}),
            "create_stateless_run",
            422,
        ),
        (
            acp.post("/runs/wait", json={"agent_id": echo, "stream_mode": "tokens"}),
            "create_and_wait_for_stateless_run_output",
            422,
        ),
        (
            acp.post("/runs/stream", json={"agent_id": echo, "webhook": "x" * 3000}),
            "create_and_stream_stateless_run_output",
            422,
        ),
        (acp.post("/runs/search", json={"limit": 5000}), "search_stateless_runs", 422),
        (acp.post("/threads/search", json={"status": "sleeping"}), "search_threads", 422),
        (acp.post("/threads", json={"if_exists": "maybe"}), "create_thread", 422),
        (
            acp.get(f"/runs/{run_id}/wait", params={"block_timeout": "soon"}),
            "wait_for_stateless_run_output",
            422,
        ),
        (
            acp.get(f"/runs/{run_id}/stream", headers={"Last-Event-ID": "abc"}),
            "stream_stateless_run_output",
            422,
        ),
        (acp.post(f"/runs/{run_id}/cancel", params={"action": "explode"}), "cancel_stateless_run", 422),
        (acp.get(f"/threads/{uuid.uuid4()}/history", params={"limit": "x"}), "get_thread_history", 422),
    ]
    for response, operation, status in cases:
        assert response.status_code == status, (operation, response.status_code, response.text)
        body = acp_conforms(response, operation)
        assert isinstance(body, str) and body, (operation, body)
        assert "Traceback" not in body


@pytest.mark.parametrize("headers", [{"x-api-key": "ar_unknown"}, {"Authorization": "Bearer ar_unknown"}])
def test_acp_routes_refuse_unknown_api_keys(base_url: str, headers: dict[str, str]) -> None:
    """401 is a deviation (ACP declares no security); ACP takes the key in x-api-key only."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for method, path in (
            ("POST", "/agents/search"),
            ("GET", f"/runs/{uuid.uuid4()}"),
            ("POST", "/threads"),
        ):
            response = client.request(method, path, json={}, headers=headers)
            assert response.status_code == 401, (method, path, response.text)


def test_acp_routes_need_an_api_key_when_auth_is_required(cloud: object) -> None:
    """The cloud (and the gateway built with require_auth) answers 401 without a key; the local stack
    otherwise serves its default tenant to keyless requests, for curl-first local use."""
    from agent_runtime_local.gateway import create_app

    async def statuses() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(require_auth=True))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            return [
                (await client.request(method, path, json={})).status_code
                for method, path in (
                    ("POST", "/agents/search"),
                    ("GET", f"/threads/{uuid.uuid4()}"),
                    ("POST", "/runs/wait"),
                )
            ]

    assert asyncio.run(statuses()) == [401, 401, 401]


def test_acp_takes_the_key_in_x_api_key_only(base_url: str, api_key: str) -> None:
    """ACP's authorizer is cached per x-api-key header (manifest.key_header), as in the cloud."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        acp_conforms(client.post("/agents/search", json={}, headers={"x-api-key": api_key}), "search_agents")
        bearer = client.post("/agents/search", json={}, headers={"Authorization": f"Bearer {api_key}"})
        assert bearer.status_code == 401


def test_sse_frames_are_checked_strictly() -> None:
    """The stream checker itself: ids must increase and data must be a stream update."""
    frame = {"type": "values", "run_id": str(uuid.uuid4()), "status": "success", "values": {"x": 1}}
    good = f"id: 3\nevent: agent_event\ndata: {json.dumps(frame)}\n\n: window closed\n"
    assert check_stream(good) == [frame]
    with pytest.raises(AssertionError):
        check_stream(good + good)  # a repeated id
    with pytest.raises(AssertionError):
        check_stream(good.replace("agent_event", "message"))
    with pytest.raises(AssertionError):
        check_stream(good.replace('"success"', '"done"'))

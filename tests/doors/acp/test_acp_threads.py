"""ACP threads and runs through the handlers: state shared across runs, multitask strategies, resume
validation. (Protocol conformance and the real ACP client are beside it, in tests/doors/acp.)"""

from __future__ import annotations

import json
import uuid
from typing import Any

from agent_runtime.acp import views
from agent_runtime.acp.agents import agent_id
from agent_runtime.engine import Engine
from agent_runtime.engine.model import Event, RunProgress
from agent_runtime.workflows.registry import registry
from tests.conftest import Api


def echo_agent() -> str:
    return agent_id(registry().get("echo_agent"))


def human(text: str) -> dict[str, Any]:
    return {"messages": [{"type": "human", "content": text}]}


def test_thread_runs_replace_the_threads_messages(api: Api) -> None:
    thread = api("POST", "/threads", body={"metadata": {"topic": "greetings"}}).json()
    path = f"/threads/{thread['thread_id']}/runs/wait"
    first = api("POST", path, body={"agent_id": echo_agent(), "input": human("one")}).json()
    assert first["output"]["values"]["messages"][-1] == {"type": "assistant", "content": "one"}
    second = api("POST", path, body={"agent_id": echo_agent(), "input": human("two")}).json()
    # As the reference echo agent: the input's messages replace the conversation, nothing piles up.
    assert [m["content"] for m in second["output"]["values"]["messages"]] == ["two", "two"]
    state = api("GET", f"/threads/{thread['thread_id']}").json()
    assert state["status"] == "idle"
    assert [(m["role"], m["content"]) for m in state["messages"]] == [("human", "two"), ("assistant", "two")]
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
        "interrupt": {
            "echo_interrupt": {
                "messages": [{"type": "human", "content": "hi"}, {"type": "assistant", "content": "hi"}]
            }
        },
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
    assert done["output"]["values"]["messages"] == [
        {"type": "human", "content": "next"},
        {"type": "assistant", "content": "next"},
    ]
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


def interrupted_run(api: Api, path: str = "/runs/wait") -> dict[str, Any]:
    body = {"agent_id": echo_agent(), "input": human("wait"), "config": {"interrupt_count": 1}}
    run: dict[str, Any] = api("POST", path, body=body).json()["run"]
    assert run["status"] == "interrupted"
    return run


def test_thread_ids_belong_to_their_tenant(api: Api, other_api: Api) -> None:
    # Given a thread id one tenant chose
    thread_id = f"support-{uuid.uuid4().hex[:8]}"
    assert api("POST", "/threads", body={"thread_id": thread_id, "metadata": {"who": "a"}}).status == 200
    # When another tenant creates a thread with the same id
    theirs = other_api("POST", "/threads", body={"thread_id": thread_id, "metadata": {"who": "b"}})
    # Then it gets its own thread: nothing reveals or touches the first tenant's
    assert theirs.status == 200
    assert api("GET", f"/threads/{thread_id}").json()["metadata"] == {"who": "a"}
    assert other_api("GET", f"/threads/{thread_id}").json()["metadata"] == {"who": "b"}
    assert other_api("DELETE", f"/threads/{thread_id}").status == 204
    assert api("GET", f"/threads/{thread_id}").status == 200


def test_deleting_the_threads_current_run_leaves_the_thread_usable(api: Api) -> None:
    thread_id = api("POST", "/threads", body={}).json()["thread_id"]
    run = interrupted_run(api, f"/threads/{thread_id}/runs/wait")
    assert api("DELETE", f"/threads/{thread_id}/runs/{run['run_id']}").status == 204
    assert api("GET", f"/threads/{thread_id}").json()["status"] == "idle"
    after = api(
        "POST", f"/threads/{thread_id}/runs/wait", body={"agent_id": echo_agent(), "input": human("on")}
    )
    assert after.status == 200
    assert after.json()["run"]["status"] == "success"


def test_an_invalid_run_changes_nothing_on_the_thread(api: Api) -> None:
    # Given a thread whose run waits for a human
    thread_id = api("POST", "/threads", body={}).json()["thread_id"]
    waiting = interrupted_run(api, f"/threads/{thread_id}/runs/wait")
    # When a run with invalid input asks to interrupt it
    bad_input = {"messages": [{"type": "robot", "content": "x"}]}
    refused = api(
        "POST",
        f"/threads/{thread_id}/runs",
        body={"agent_id": echo_agent(), "input": bad_input, "multitask_strategy": "interrupt"},
    )
    # Then it is refused and the waiting run was not cancelled
    assert refused.status == 422
    assert api("GET", f"/threads/{thread_id}/runs/{waiting['run_id']}").json()["status"] == "interrupted"
    # And an invalid run that would create its thread creates none
    new_thread = f"never-{uuid.uuid4().hex[:8]}"
    body = {"agent_id": echo_agent(), "input": bad_input, "if_not_exists": "create"}
    assert api("POST", f"/threads/{new_thread}/runs", body=body).status == 422
    assert api("GET", f"/threads/{new_thread}").status == 404


def test_run_creation_errors_use_acps_field_names_and_types(api: Api) -> None:
    private = api(
        "POST", "/runs", body={"agent_id": echo_agent(), "input": human("x"), "webhook": "https://10.0.0.1/h"}
    )
    assert private.status == 422
    assert "webhook" in private.json()
    tags = api("POST", "/runs", body={"agent_id": echo_agent(), "input": human("x"), "config": {"tags": 5}})
    assert tags.status == 422
    assert "tags" in tags.json()


def test_resume_bodies_are_held_to_the_size_and_media_type_limits(api: Api) -> None:
    run = interrupted_run(api)
    big = json.dumps({"messages": [{"type": "human", "content": "x" * (6 * 1024 * 1024)}]})
    assert api("POST", f"/runs/{run['run_id']}", raw_body=big).status == 413
    assert (
        api("POST", f"/runs/{run['run_id']}", raw_body="hi", headers={"Content-Type": "text/plain"}).status
        == 415
    )
    assert api("GET", f"/runs/{run['run_id']}").json()["status"] == "interrupted"


def test_a_stream_that_reads_the_run_before_it_ends_maps_the_end_from_the_event(api: Api) -> None:
    # Given a run read while it waits, and the cancel event that lands after that read
    run = interrupted_run(api)
    engine = Engine.default()
    record = engine.runs.get(api.tenant, run["run_id"])
    progress = RunProgress(record.run_id, record.status, record.event_seq)
    cancelled = Event(
        seq=99, run_id=record.run_id, type="run.cancelled", data={"status": "cancelled"}, created_at=""
    )
    # Then the stream's update says the run ended in error (cancelled), from the event itself
    update = views.stream_update(engine, progress, cancelled, {"values"})
    assert update == {
        "type": "error",
        "run_id": record.run_id,
        "errcode": 499,
        "description": "the run was cancelled",
        "status": "error",
    }

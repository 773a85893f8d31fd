"""Durable workflows (the AWS Durable Execution SDK's handlers) on the local stack: moto executing the
real state machine, the step worker invoking the handler over operations stored in DynamoDB."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Api
from tests.workflows.durable.samples import FAILURES, RENAMED, SIDE_EFFECTS


def _types(api: Api, run_id: str) -> list[str]:
    return [e["type"] for e in api.events(run_id)]


def _key() -> str:
    return uuid.uuid4().hex[:10]


def test_a_loop_asks_a_person_in_the_middle_and_never_repeats_a_step(api: Api) -> None:
    key = _key()
    run_id = api.create("d_loop", {"key": key, "steps": 6, "ask_at": 3}).json()["run_id"]
    waiting = api.wait(run_id, {"waiting_for_input"})
    assert waiting["status"] == "waiting_for_input"
    [checkpoint] = api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"]
    assert (checkpoint["checkpoint_id"], checkpoint["type"], checkpoint["status"]) == (
        "review-1",
        "approval",
        "pending",
    )
    assert checkpoint["prompt"] == "Go on after step 3?"
    assert checkpoint["payload"] == {"at": 3, "total": 0 + 1 + 2}
    reply = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={"comment": "go"})
    assert reply.status == 200
    run = api.wait(run_id)
    assert run["status"] == "succeeded", run
    assert run["output"] == {"total": sum(range(6)), "approved": True, "comment": "go"}
    # Every step ran exactly once, the ones before the question included.
    assert {what: n for (k, what), n in SIDE_EFFECTS.items() if k == key} == {
        f"step-{i}": 1 for i in range(6)
    }
    types = _types(api, run_id)
    assert types.count("step.started") == 6 and types.count("step.succeeded") == 6
    assert types.count("loop.asking") == 1  # emitted outside a step, once although replayed
    assert types.index("checkpoint.created") < types.index("checkpoint.resolved")
    assert run["usage"]["operations"] == 7  # 6 steps and the callback


def test_a_second_answer_is_a_conflict_and_a_reject_reaches_the_code(api: Api) -> None:
    run_id = api.create("d_loop", {"key": _key(), "steps": 4, "ask_at": 1}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    assert api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/reject", body={"reason": "no"}).status == 200
    assert api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={}).status == 409
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert run["output"] == {"total": 0, "approved": False, "comment": None}


def test_waits_and_retries_are_timers_with_visible_attempts(api: Api) -> None:
    key = _key()
    FAILURES[key] = 2
    run_id = api.create("d_timers", {"key": key, "seconds": 1}).json()["run_id"]
    run = api.wait(run_id, timeout=40)
    assert run["status"] == "succeeded", run
    assert run["output"] == {"value": 42}
    assert SIDE_EFFECTS[(key, "flaky")] == 3
    events = api.events(run_id)
    retrying = [e["data"] for e in events if e["type"] == "step.retrying"]
    assert [(r["attempt"], r["error"]["type"]) for r in retrying] == [
        (1, "RuntimeError"),
        (2, "RuntimeError"),
    ]
    assert all(r["next_attempt_at"] for r in retrying)
    [wait] = [e["data"] for e in events if e["type"] == "wait.started"]
    assert wait["name"] == "nap" and wait["until"]


def test_an_invoke_is_a_child_run_linked_both_ways(api: Api) -> None:
    key = _key()
    parent_id = api.create("d_parent", {"key": key}).json()["run_id"]
    # The child (d_loop) asks its person; the parent waits for the child at no cost.
    [started] = _wait_for_event(api, parent_id, "child.started")
    child_id = started["child_run_id"]
    child = api.wait(child_id, {"waiting_for_input"})
    assert child["parent_run_id"] == parent_id
    assert api("GET", f"/v1/runs/{parent_id}").json()["status"] == "running"
    api("POST", f"/v1/runs/{child_id}/checkpoints/review-1/approve", body={"comment": "child ok"})
    parent = api.wait(parent_id)
    assert parent["status"] == "succeeded", parent
    assert parent["output"]["child"] == {"total": 0 + 1 + 2, "approved": True, "comment": "child ok"}


def test_cancelling_the_parent_cancels_its_child(api: Api) -> None:
    parent_id = api.create("d_parent", {"key": _key()}).json()["run_id"]
    [started] = _wait_for_event(api, parent_id, "child.started")
    child_id = started["child_run_id"]
    api.wait(child_id, {"waiting_for_input"})
    assert api("POST", f"/v1/runs/{parent_id}/cancel").status == 200
    assert api.wait(parent_id)["status"] == "cancelled"
    assert api.wait(child_id)["status"] == "cancelled"


def test_map_parallel_and_an_undeclared_callback_answered_with_any_json(api: Api) -> None:
    key = _key()
    run_id = api.create("d_fanout", {"key": key, "items": [1, 2, 3, 4, 5]}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    [checkpoint] = api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"]
    assert (checkpoint["checkpoint_id"], checkpoint["type"]) == ("note-1", "input")
    reply = api("POST", f"/v1/runs/{run_id}/checkpoints/note-1/input", body={"data": {"any": ["json", 1]}})
    assert reply.status == 200, reply.json()
    run = api.wait(run_id)
    assert run["status"] == "succeeded", run
    assert run["output"]["squares"] == [1, 4, 9, 16, 25]
    assert run["output"]["pair"] == ["left", "right"]
    assert run["output"]["answer"]["data"] == {"any": ["json", 1]}
    assert all(SIDE_EFFECTS[(key, f"sq-{i}")] == 1 for i in [1, 2, 3, 4, 5])


def test_code_that_changed_before_a_suspension_fails_with_a_named_error(api: Api) -> None:
    key = _key()
    run_id = api.create("d_diverge", {"key": key}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    RENAMED.add(key)  # the "deployed code" now names its first step differently
    api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
    run = api.wait(run_id)
    assert run["status"] == "failed"
    assert run["error"]["type"] == "NonDeterministicExecutionError"


def test_durable_code_reads_the_runs_config(api: Api) -> None:
    run_id = api.create("d_config", {"key": "you"}, config={"greeting": "hi"}).json()["run_id"]
    assert api.wait(run_id)["output"] == {"said": "hi you"}


def _wait_for_event(api: Api, run_id: str, event_type: str, timeout: float = 20.0) -> list[dict[str, Any]]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e["data"] for e in api.events(run_id) if e["type"] == event_type]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {event_type} on run {run_id}")


def test_a_step_workflow_retries_by_its_policy_with_visible_attempts(api: Api) -> None:
    key = _key()
    FAILURES[key] = 2
    run_id = api.create("s_typed", {"key": key}, config={"greeting": "hi"}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"}, timeout=30)
    assert SIDE_EFFECTS[(key, "draft")] == 3
    api("POST", f"/v1/runs/{run_id}/checkpoints/decide-1/approve", body={})
    run = api.wait(run_id)
    assert (run["status"], run["output"]) == ("succeeded", {"said": f"hi {key}"})
    events = api.events(run_id)
    assert [e["data"]["attempt"] for e in events if e["type"] == "step.retrying"] == [1, 2]
    assert [
        e["data"]["attempt"] for e in events if e["type"] == "step.started" and e["data"]["step"] == "draft"
    ] == [
        1,
        2,
        3,
    ]


def test_a_step_that_asks_another_checkpoint_on_its_rerun_fails_instead_of_taking_the_old_answer(
    api: Api,
) -> None:
    key = _key()
    run_id = api.create("s_typed", {"key": key}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    RENAMED.add(key)  # the step, re-run after the answer, now asks "renamed" as its first checkpoint
    api("POST", f"/v1/runs/{run_id}/checkpoints/decide-1/approve", body={})
    run = api.wait(run_id)
    assert run["status"] == "failed"
    assert run["error"]["type"] == "NonDeterministicExecutionError"


def test_a_callback_deadline_times_it_out_on_the_stack(api: Api) -> None:
    run_id = api.create("d_deadline", {"key": _key(), "seconds": 2}).json()["run_id"]
    run = api.wait(run_id, timeout=30)
    assert run["status"] == "failed", run
    assert run["error"]["type"] == "CallbackTimeoutError"
    [checkpoint] = api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"]
    assert checkpoint["status"] == "expired"
    assert api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={}).status == 409


def test_a_thousand_step_loop_asked_at_step_500_repeats_no_step(api: Api) -> None:
    key = _key()
    run_id = api.create("d_loop", {"key": key, "steps": 1000, "ask_at": 500}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"}, timeout=240)
    api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
    run = api.wait(run_id, timeout=240)
    assert run["status"] == "succeeded"
    assert run["output"]["total"] == sum(range(1000))
    counts = [SIDE_EFFECTS[(key, f"step-{i}")] for i in range(1000)]
    assert counts == [1] * 1000  # none re-executed on resume, none skipped
    assert run["usage"]["operations"] == 1001

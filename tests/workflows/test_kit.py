"""The test kit (agent_runtime.testing): registered workflows run in-process, no moto, no network."""

from __future__ import annotations

import uuid

from agent_runtime.testing import KitCheckpoint, Submit, WorkflowTest, approve, reject, submit
from agent_runtime.workflows.builtin.approval import WORKFLOWS as APPROVAL
from tests.workflows.durable.samples import (
    CONFIGURED,
    DIVERGE,
    FAILURES,
    FANOUT,
    LOOP,
    PARENT,
    RENAMED,
    SIDE_EFFECTS,
    TIMERS,
)


def _key() -> str:
    return uuid.uuid4().hex[:10]


def test_a_loop_with_a_scripted_approval_runs_each_step_once() -> None:
    key = _key()
    run = WorkflowTest(LOOP).run({"key": key, "steps": 5, "ask_at": 2}, answers={"review": approve("ok")})
    assert (run.status, run.output) == ("succeeded", {"total": 10, "approved": True, "comment": "ok"})
    assert {what: n for (k, what), n in SIDE_EFFECTS.items() if k == key} == {
        f"step-{i}": 1 for i in range(5)
    }
    assert run.event_types.count("loop.asking") == 1
    [checkpoint] = run.checkpoints.values()
    assert (checkpoint.checkpoint_id, checkpoint.prompt, checkpoint.payload) == (
        "review-1",
        "Go on after step 2?",
        {"at": 2, "total": 1},
    )
    assert run.usage["steps"] == 5 and run.usage["invocations"] == 2


def test_an_unanswered_checkpoint_waits_until_the_test_answers() -> None:
    run = WorkflowTest(LOOP).run({"key": _key(), "steps": 3, "ask_at": 1})
    assert run.status == "waiting_for_input"
    assert [c.checkpoint_id for c in run.pending()] == ["review-1"]
    run.answer("review-1", reject("not now"))
    assert run.resume().status == "succeeded"
    assert run.output == {"total": 0, "approved": False, "comment": None}


def test_waits_are_fast_forwarded_and_retries_counted() -> None:
    key = _key()
    FAILURES[key] = 2
    kit = WorkflowTest(TIMERS)
    run = kit.run({"key": key, "seconds": 3600})
    assert (run.status, run.output) == ("succeeded", {"value": 42})
    assert SIDE_EFFECTS[(key, "flaky")] == 3
    assert [e["attempt"] for e in run.events_of("step.retrying")] == [1, 2]
    assert (kit.now - kit.now.replace(hour=0, minute=0, second=0)).total_seconds() >= 3600


def test_fan_out_and_an_answer_computed_from_the_checkpoint() -> None:
    def answer(checkpoint: KitCheckpoint) -> Submit:
        return submit({"seen": checkpoint.name})

    run = WorkflowTest(FANOUT).run({"key": _key(), "items": [1, 2, 3]}, answers={"note": answer})
    assert run.status == "succeeded"
    assert run.output["squares"] == [1, 4, 9] and run.output["pair"] == ["left", "right"]
    assert run.output["answer"]["data"] == {"seen": "note"}


def test_a_child_run_is_run_by_the_kit_and_its_output_returned() -> None:
    from agent_runtime.workflows.registry import Registry

    kit = WorkflowTest(PARENT, registry=Registry([PARENT, LOOP]))
    run = kit.run({"key": _key()}, answers={"review": approve("child ok")})
    assert run.status == "succeeded"
    assert run.output == {"child": {"total": 3, "approved": True, "comment": "child ok"}}
    [child] = run.children
    assert child.workflow is LOOP and child.status == "succeeded"
    assert run.events_of("child.started")[0]["child_run_id"] == child.run_id


def test_code_that_diverges_on_replay_fails_with_a_named_error() -> None:
    key = _key()

    def rename_then_approve(checkpoint: KitCheckpoint) -> object:
        RENAMED.add(key)
        return approve()

    run = WorkflowTest(DIVERGE).run({"key": key}, answers={"review": rename_then_approve})  # type: ignore[dict-item]
    assert run.status == "failed"
    assert run.error is not None and run.error["type"] == "NonDeterministicExecutionError"


def test_config_and_step_workflows() -> None:
    assert WorkflowTest(CONFIGURED).run({"key": "you"}, config={"greeting": "hey"}).output == {
        "said": "hey you"
    }
    approval = APPROVAL[0]
    run = WorkflowTest(approval).run(
        {"title": "Q4", "points": ["ship"], "reviewer": "ana"}, answers={"review": approve("lgtm")}
    )
    assert run.status == "succeeded"
    assert run.output["comment"] == "lgtm"
    assert run.events_of("artifact.created")


def test_step_workflows_retry_by_their_policy_and_read_typed_results() -> None:
    from tests.workflows.durable.samples import STEPS

    key = _key()
    FAILURES[key] = 2
    run = WorkflowTest(STEPS).run({"key": key}, config={"greeting": "hi"}, answers={"review": approve()})
    assert (run.status, run.output) == ("succeeded", {"said": f"hi {key}"})
    assert [e["attempt"] for e in run.events_of("step.retrying")] == [1, 2]
    assert [e["attempt"] for e in run.events_of("step.started") if e["step"] == "draft"] == [1, 2, 3]
    FAILURES[key] = 3
    failed = WorkflowTest(STEPS).run({"key": key})
    assert failed.status == "failed" and failed.error is not None
    assert failed.error["message"] == "the model was busy (attempt 3 of 3)"


def test_a_long_loop_split_across_invocations_runs_each_step_once() -> None:
    key = _key()
    run = WorkflowTest(LOOP, batches_per_invocation=25).run({"key": key, "steps": 300})
    assert (run.status, run.output) == (
        "succeeded",
        {"total": sum(range(300)), "approved": None, "comment": None},
    )
    assert run.usage["invocations"] >= 300 // 25
    assert all(SIDE_EFFECTS[(key, f"step-{i}")] == 1 for i in range(300))


def test_a_deadline_nobody_meets_times_the_callback_out() -> None:
    from tests.workflows.durable.samples import DEADLINE

    failed = WorkflowTest(DEADLINE).run({"key": _key(), "seconds": 60})
    assert failed.status == "failed" and failed.error is not None
    assert failed.error["type"] == "CallbackTimeoutError"
    assert failed.event_types.count("checkpoint.expired") == 1
    went_on = WorkflowTest(DEADLINE).run({"key": _key(), "seconds": 60, "continue_on_timeout": True})
    assert (went_on.status, went_on.output) == (
        "succeeded",
        {"total": -1, "approved": False},
    )

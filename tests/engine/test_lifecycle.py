"""A run's life through engine/runs.py and engine/lifecycle.py, over moto's DynamoDB and S3 with the
recording orchestrator: create -> start -> succeed, fail or cancel, each once."""

from __future__ import annotations

import pytest

from agent_runtime.engine.runs import RunSpec
from agent_runtime.errors import Conflict, ValidationFailed
from agent_runtime.store.errors import ChangedMeanwhile
from tests.engine.conftest import Tier

EXPRESS_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:agent-runtime-run-express"


def event_types(tier: Tier, run_id: str) -> list[str]:
    return [event.type for event in tier.engine.store.events.after(run_id, 0, 100)]


def test_create_stores_a_queued_run_and_starts_its_execution_once(tier: Tier) -> None:
    run, replayed = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    assert (run.status, replayed) == ("queued", False)
    assert tier.orchestrator.named("start") == [("start", run.run_id, tier.tenant, run.run_id, False)]
    assert event_types(tier, run.run_id) == ["run.created"]


def test_a_run_with_a_short_bound_and_no_checkpoint_starts_on_express(tier: Tier) -> None:
    tier.orchestrator.express_state_machine_arn = EXPRESS_ARN
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("echo", input={"a": 1}))
    assert tier.orchestrator.named("start") == [("start", run.run_id, tier.tenant, run.run_id, True)]
    # The one decision: the run's usage counts the Express execution it was started on.
    assert tier.engine.store.runs.get(run.run_id).usage_express_executions == 1


def test_without_an_express_machine_every_run_starts_on_standard_and_counts_none(tier: Tier) -> None:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("echo", input={"a": 1}))
    assert tier.orchestrator.named("start") == [("start", run.run_id, tier.tenant, run.run_id, False)]
    assert tier.engine.store.runs.get(run.run_id).usage_express_executions == 0


def test_an_idempotent_replay_returns_the_first_run_and_starts_nothing_more(tier: Tier) -> None:
    request = ("key-1", {"workflow": "approval", "input": {"title": "t"}})
    first, _ = tier.engine.runs.create(
        tier.tenant, RunSpec("approval", input={"title": "t"}), idempotency=request
    )
    tier.engine.lifecycle.start(tier.engine.store.runs.get(first.run_id))
    again, replayed = tier.engine.runs.create(
        tier.tenant, RunSpec("approval", input={"title": "t"}), idempotency=request
    )
    assert (again.run_id, replayed) == (first.run_id, True)
    assert len(tier.orchestrator.named("start")) == 1  # running already: the replay starts nothing


def test_bad_input_is_refused_before_anything_is_written(tier: Tier) -> None:
    with pytest.raises(ValidationFailed):
        tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": ""}))
    assert tier.orchestrator.calls == []
    assert tier.items() == []


def test_start_then_succeed_ends_the_run_once_with_its_output(tier: Tier) -> None:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("echo", input={"a": 1}))
    record = tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))
    assert record.status == "running"
    with pytest.raises(ChangedMeanwhile):  # a second worker's start loses
        tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))
    workflow = tier.engine.workflows.get("echo", None)
    tier.engine.lifecycle.succeed(record, workflow, {"a": 2})
    done = tier.engine.runs.get(tier.tenant, run.run_id)
    assert (done.status, done.output) == ("succeeded", {"a": 2})
    assert event_types(tier, run.run_id) == ["run.created", "run.started", "run.succeeded"]
    with pytest.raises(ChangedMeanwhile):  # ended: it can't succeed twice
        tier.engine.lifecycle.succeed(record, workflow, {"a": 3})


def test_an_output_that_does_not_match_fails_the_run_saying_why(tier: Tier) -> None:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    record = tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))
    tier.engine.lifecycle.succeed(record, tier.engine.workflows.get("approval", None), {"nope": 1})
    failed = tier.engine.runs.get(tier.tenant, run.run_id)
    assert failed.status == "failed"
    assert failed.error is not None and failed.error["type"] == "OutputValidationError"


def test_fail_ends_an_active_run_and_only_an_active_one(tier: Tier) -> None:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))
    tier.engine.lifecycle.fail(run.run_id, "Boom", "it broke", step="draft")
    failed = tier.engine.runs.get(tier.tenant, run.run_id)
    assert failed.status == "failed"
    assert failed.error == {"type": "Boom", "message": "it broke"}
    assert event_types(tier, run.run_id)[-2:] == ["step.failed", "run.failed"]
    with pytest.raises(ChangedMeanwhile):
        tier.engine.lifecycle.fail(run.run_id, "Again", "twice")


def test_cancel_ends_the_run_stops_its_execution_and_a_second_cancel_is_a_conflict(tier: Tier) -> None:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))
    cancelled = tier.engine.runs.cancel(tier.tenant, run.run_id)
    assert cancelled.status == "cancelled"
    assert tier.orchestrator.named("stop") == [("stop", run.run_id, "cancelled")]
    assert event_types(tier, run.run_id)[-1] == "run.cancelled"
    with pytest.raises(Conflict):
        tier.engine.runs.cancel(tier.tenant, run.run_id)
    assert len(tier.orchestrator.named("stop")) == 1


def test_a_queued_run_can_be_cancelled_before_any_worker_starts_it(tier: Tier) -> None:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    assert tier.engine.runs.cancel(tier.tenant, run.run_id).status == "cancelled"
    with pytest.raises(ChangedMeanwhile):  # the late worker finds it ended
        tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))


def test_a_step_run_starts_with_its_first_steps_start_and_ends_with_its_last_steps_end(tier: Tier) -> None:
    from agent_runtime.engine.execute import execute_steps

    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("echo", input={"a": 1}))
    assert execute_steps(tier.engine, run.run_id, lambda: 900_000)["outcome"] == "done"
    record = tier.engine.store.runs.get(run.run_id)
    assert event_types(tier, run.run_id) == [
        "run.created", "run.started", "step.started", "step.completed", "run.succeeded"
    ]  # fmt: skip
    # Created (version 1), then two commits: the run's start with the step's, the step's end with the run's.
    assert (record.status, record.version) == ("succeeded", 3)


def test_a_run_cancelled_while_queued_is_never_started_by_its_worker(tier: Tier) -> None:
    from agent_runtime.engine.execute import execute_steps

    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("echo", input={"a": 1}))
    tier.engine.runs.cancel(tier.tenant, run.run_id)
    assert execute_steps(tier.engine, run.run_id, lambda: 900_000)["outcome"] == "done"
    assert event_types(tier, run.run_id) == ["run.created", "run.cancelled"]


def test_a_last_steps_end_stands_when_its_output_fails_the_run(tier: Tier) -> None:
    from agent_runtime.store.event_items import NewEvent

    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    record = tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))
    tier.engine.lifecycle.succeed(
        record,
        tier.engine.workflows.get("approval", None),
        {"nope": 1},
        first=[NewEvent("step.completed", {"step": "publish", "index": 0})],
        updates={"next_step": 1},
        expect={"next_step": 0},
    )
    failed = tier.engine.store.runs.get(run.run_id)
    assert (failed.status, failed.next_step) == ("failed", 1)
    assert event_types(tier, run.run_id) == ["run.created", "run.started", "step.completed", "run.failed"]

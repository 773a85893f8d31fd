"""A checkpoint's life (engine/checkpoints.py): raised by a step, answered exactly once, expired at its
deadline, closed with a cancelled run; the parked execution resumed or failed through the orchestrator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent_runtime.engine.checkpoints import Approve, Reject
from agent_runtime.engine.runs import RunSpec
from agent_runtime.errors import Conflict
from agent_runtime.store.run_items import RunRecord
from agent_runtime.workflows.checkpoints import CheckpointRequest, Suspend
from tests.clock import ScriptedClock
from tests.engine.conftest import Tier

CHECKPOINT = "review-1"


def running_approval(tier: Tier) -> RunRecord:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    return tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))


def ask(tier: Tier, run: RunRecord, timeout_seconds: int | None = None) -> Any:
    """The step `review` raises its first checkpoint; what raise_checkpoint returned or raised."""
    kind = tier.engine.workflows.get("approval", None).checkpoints["review"]
    request = CheckpointRequest(
        name="review",
        kind=kind,
        prompt="Approve?",
        payload={"title": "t", "document": "d"},
        timeout_seconds=timeout_seconds,
        assignee="ana",
        default=None,
    )
    try:
        return tier.engine.checkpoints.raise_checkpoint(
            tier.engine.store.runs.get(run.run_id), "review", 1, request
        )
    except Suspend as suspended:
        return suspended


def test_raising_parks_the_run_on_one_pending_checkpoint(tier: Tier) -> None:
    run = running_approval(tier)
    suspended = ask(tier, run, timeout_seconds=60)
    assert isinstance(suspended, Suspend)
    assert tier.engine.runs.get(tier.tenant, run.run_id).status == "waiting_for_input"
    checkpoint = tier.engine.checkpoints.get(tier.tenant, run.run_id, CHECKPOINT)
    assert (checkpoint.status, checkpoint.assignee, checkpoint.payload["document"]) == ("pending", "ana", "d")
    # Asked again (the worker re-ran the step): the same checkpoint, still pending, nothing new written.
    assert isinstance(ask(tier, run, timeout_seconds=60), Suspend)
    assert [c.checkpoint_id for c in tier.engine.store.checkpoints.list_for_run(run.run_id)] == [CHECKPOINT]
    created = [
        e for e in tier.engine.store.events.after(run.run_id, 0, 100) if e.type == "checkpoint.created"
    ]
    assert len(created) == 1


def test_an_answer_resumes_the_parked_execution_and_is_taken_exactly_once(tier: Tier) -> None:
    run = running_approval(tier)
    ask(tier, run)
    assert tier.engine.checkpoints.await_human(run.run_id, CHECKPOINT, "token-1") == {"parked": True}
    answered = tier.engine.checkpoints.answer(tier.tenant, run.run_id, CHECKPOINT, Approve("fine"), "ana")
    assert answered.status == "resolved"
    assert answered.resolution is not None and answered.resolution["decision"] == "approved"
    assert tier.orchestrator.named("resume") == [("resume", "token-1")]
    assert tier.engine.runs.get(tier.tenant, run.run_id).status == "running"
    with pytest.raises(Conflict):
        tier.engine.checkpoints.answer(tier.tenant, run.run_id, CHECKPOINT, Reject("late"), "bo")
    assert len(tier.orchestrator.named("resume")) == 1
    # The step, run again, gets the answer instead of a new checkpoint.
    resolution = ask(tier, run)
    assert (resolution.decision, resolution.comment, resolution.by) == ("approved", "fine", "ana")


def test_an_answer_before_the_token_arrives_is_resumed_by_the_wait_itself(tier: Tier) -> None:
    run = running_approval(tier)
    ask(tier, run)
    tier.engine.checkpoints.answer(tier.tenant, run.run_id, CHECKPOINT, Approve(), "ana")
    assert tier.orchestrator.named("resume") == []  # no token to send yet
    assert tier.engine.checkpoints.await_human(run.run_id, CHECKPOINT, "token-1") == {"parked": False}
    assert tier.orchestrator.named("resume") == [("resume", "token-1")]


def test_a_deadline_with_no_answer_times_the_run_out_and_closes_the_checkpoint(tier: Tier) -> None:
    run = running_approval(tier)
    ask(tier, run, timeout_seconds=5)
    assert tier.engine.checkpoints.expire(run.run_id, CHECKPOINT)["outcome"] == "done"
    ended = tier.engine.runs.get(tier.tenant, run.run_id)
    assert ended.status == "timed_out"
    assert ended.error is not None and ended.error["type"] == "CheckpointExpired"
    assert tier.engine.checkpoints.get(tier.tenant, run.run_id, CHECKPOINT).status == "expired"
    with pytest.raises(Conflict):
        tier.engine.checkpoints.answer(tier.tenant, run.run_id, CHECKPOINT, Approve(), "ana")


def test_an_answer_right_at_the_deadline_wins_and_the_run_goes_on(tier: Tier) -> None:
    run = running_approval(tier)
    ask(tier, run, timeout_seconds=5)
    tier.engine.checkpoints.answer(tier.tenant, run.run_id, CHECKPOINT, Approve(), "ana")
    assert tier.engine.checkpoints.expire(run.run_id, CHECKPOINT)["outcome"] == "continue"
    assert tier.engine.runs.get(tier.tenant, run.run_id).status == "running"
    assert tier.engine.checkpoints.get(tier.tenant, run.run_id, CHECKPOINT).status == "resolved"


def test_cancel_closes_the_pending_checkpoint_and_fails_its_parked_wait(tier: Tier) -> None:
    run = running_approval(tier)
    ask(tier, run)
    tier.engine.checkpoints.await_human(run.run_id, CHECKPOINT, "token-1")
    assert tier.engine.runs.cancel(tier.tenant, run.run_id).status == "cancelled"
    assert tier.engine.checkpoints.get(tier.tenant, run.run_id, CHECKPOINT).status == "cancelled"
    assert [call[:3] for call in tier.orchestrator.named("abort")] == [("abort", "token-1", "RunCancelled")]
    assert tier.orchestrator.named("resume") == []
    with pytest.raises(Conflict):
        tier.engine.checkpoints.answer(tier.tenant, run.run_id, CHECKPOINT, Approve(), "ana")


def test_a_wait_that_arrives_after_the_cancel_fails_itself(tier: Tier) -> None:
    run = running_approval(tier)
    ask(tier, run)
    tier.engine.runs.cancel(tier.tenant, run.run_id)
    assert tier.orchestrator.named("abort") == []  # no token yet
    assert tier.engine.checkpoints.await_human(run.run_id, CHECKPOINT, "token-1") == {"parked": False}
    assert [call[:3] for call in tier.orchestrator.named("abort")] == [("abort", "token-1", "RunCancelled")]


def test_a_cancel_after_the_answer_is_a_conflict_while_the_run_resumes(tier: Tier) -> None:
    run = running_approval(tier)
    ask(tier, run)
    tier.engine.checkpoints.answer(tier.tenant, run.run_id, CHECKPOINT, Approve(), "ana")
    with pytest.raises(Conflict):
        tier.engine.runs.cancel(tier.tenant, run.run_id)
    assert tier.engine.runs.get(tier.tenant, run.run_id).status == "running"


def test_a_checkpoints_deadline_is_the_engines_clock_plus_its_timeout(tier: Tier) -> None:
    # Given an engine whose clock reads a fixed moment a day ahead
    moment = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
    clock = ScriptedClock(start=moment)
    engine = tier.engine.clocked(clock)
    run = running_approval(tier)
    kind = engine.workflows.get("approval", None).checkpoints["review"]
    request = CheckpointRequest("review", kind, "Approve?", {"title": "t", "document": "d"}, 90, None, None)
    # When a step raises a checkpoint with a 90 s timeout
    with pytest.raises(Suspend) as suspended:
        engine.checkpoints.raise_checkpoint(engine.store.runs.get(run.run_id), "review", 1, request)
    # Then it expires 90 s after that moment, and asked again 30 s later it has 60 s left
    [record] = engine.store.checkpoints.list_for_run(run.run_id)
    assert record.expires_at == "2031-05-04T12:01:30.000Z"
    assert suspended.value.timeout_seconds == 90
    clock.advance(30)
    with pytest.raises(Suspend) as again:
        engine.checkpoints.raise_checkpoint(engine.store.runs.get(run.run_id), "review", 1, request)
    assert again.value.timeout_seconds == 60

"""Each transition of engine/lifecycle.py: its guarded commit (the status it moves the run to, refused
from a status its row does not leave), its event and its metric."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agent_runtime import observability
from agent_runtime.engine.checkpoints import Approve
from agent_runtime.engine.lifecycle import TERMINAL_STATUSES, TRANSITIONS
from agent_runtime.engine.runs import RunSpec
from agent_runtime.store.errors import ChangedMeanwhile
from agent_runtime.store.run_items import ACTIVE_STATUSES, RunRecord, RunStatus
from agent_runtime.workflows.checkpoints import CheckpointRequest, Suspend
from tests.engine.conftest import Tier


@pytest.fixture
def metrics() -> Iterator[list[observability.EmittedMetric]]:
    with observability.capture() as emitted:
        yield emitted


def transitions(emitted: list[observability.EmittedMetric]) -> list[str]:
    return [str(m.dimensions["transition"]) for m in emitted if m.name == observability.RUN_TRANSITIONS]


def endings(emitted: list[observability.EmittedMetric]) -> list[str]:
    return [str(m.dimensions["status"]) for m in emitted if m.name == observability.RUNS_ENDED]


def events(tier: Tier, run_id: str) -> list[tuple[str, Any]]:
    return [(e.type, e.data.get("status")) for e in tier.engine.store.events.after(run_id, 0, 100)]


def queued(tier: Tier, workflow: str = "approval") -> RunRecord:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec(workflow, input={"title": "t"}))
    return tier.engine.store.runs.get(run.run_id)


def running(tier: Tier, workflow: str = "approval") -> RunRecord:
    return tier.engine.lifecycle.start(queued(tier, workflow))


def waiting(tier: Tier, timeout_seconds: int | None = None) -> RunRecord:
    """A running approval run whose step `review` raised its checkpoint (the run parks on it)."""
    run = running(tier)
    kind = tier.engine.workflows.get("approval", None).checkpoints["review"]
    request = CheckpointRequest(
        name="review",
        kind=kind,
        prompt="Approve?",
        payload={"title": "t"},
        timeout_seconds=timeout_seconds,
        assignee=None,
        default=None,
    )
    with pytest.raises(Suspend):
        tier.engine.checkpoints.raise_checkpoint(run, "review", 1, request)
    return tier.engine.store.runs.get(run.run_id)


def test_the_terminal_statuses_are_those_no_transition_leaves() -> None:
    left = {status for row in TRANSITIONS.values() for status in row.source}
    assert set(RunStatus) - left == TERMINAL_STATUSES
    assert left == ACTIVE_STATUSES
    assert {row.target for row in TRANSITIONS.values()} - {None} == set(RunStatus) - {RunStatus.QUEUED}


def test_start_moves_queued_to_running_with_run_started(tier: Tier, metrics: Any) -> None:
    record = queued(tier)
    started = tier.engine.lifecycle.start(record)
    assert started.status == "running"
    assert events(tier, record.run_id)[-1] == ("run.started", "running")
    assert transitions(metrics) == ["start"]
    with pytest.raises(ChangedMeanwhile):  # running already: the guard refuses a second start
        tier.engine.lifecycle.start(started)
    assert transitions(metrics) == ["start"]


def test_park_moves_running_to_waiting_with_the_checkpoint_created(tier: Tier, metrics: Any) -> None:
    record = waiting(tier)
    assert record.status == "waiting_for_input"
    assert events(tier, record.run_id)[-1] == ("checkpoint.created", None)
    assert transitions(metrics) == ["start", "park"]
    with pytest.raises(ChangedMeanwhile):  # waiting already
        tier.engine.lifecycle.park(record.run_id)
    with pytest.raises(ChangedMeanwhile):  # a queued run has nothing to park
        tier.engine.lifecycle.park(queued(tier).run_id)
    assert transitions(metrics) == ["start", "park"]


def test_resume_moves_waiting_to_running_with_the_answer(tier: Tier, metrics: Any) -> None:
    record = waiting(tier)
    tier.engine.checkpoints.answer(tier.tenant, record.run_id, "review-1", Approve("ok"), "ana")
    assert tier.engine.store.runs.get(record.run_id).status == "running"
    assert events(tier, record.run_id)[-1] == ("checkpoint.resolved", None)
    assert transitions(metrics) == ["start", "park", "resume"]
    with pytest.raises(ChangedMeanwhile):  # running: nothing to resume
        tier.engine.lifecycle.resume(record.run_id)
    assert transitions(metrics) == ["start", "park", "resume"]


def test_resume_or_running_writes_to_a_running_run_without_a_transition(tier: Tier, metrics: Any) -> None:
    record = running(tier)
    after = tier.engine.lifecycle.resume(record.run_id, updates={"resuming": "x"}, or_running=True)
    assert (after.status, after.resuming) == ("running", "x")
    assert transitions(metrics) == ["start"]


def test_resume_or_running_follows_a_run_that_suspends_as_the_answer_arrives(
    tier: Tier, metrics: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a durable run that is running, and suspends (parks) just as an answer's write to the
    # running run is about to be made
    record = running(tier)
    runs = tier.engine.lifecycle.runs
    commit = runs.commit
    calls: list[object] = []

    def suspending_meanwhile(run_id: str, **kwargs: Any) -> RunRecord:
        calls.append(kwargs.get("expect_status"))
        if len(calls) == 2:  # the write to the running run: the run parks first
            tier.engine.lifecycle.park(run_id)
        return commit(run_id, **kwargs)

    monkeypatch.setattr(runs, "commit", suspending_meanwhile)
    # When the answer resumes it (or writes to it while it runs)
    after = tier.engine.lifecycle.resume(record.run_id, updates={"resuming": "x"}, or_running=True)
    # Then the answer is written, resuming the run it found waiting, not refused as a conflict
    assert (after.status, after.resuming) == ("running", "x")
    assert calls[-1] == TRANSITIONS["resume"].source  # the last try resumed it from waiting
    assert transitions(metrics) == ["start", "park", "resume"]


def test_succeed_ends_a_running_run_once(tier: Tier, metrics: Any) -> None:
    record = running(tier, "echo")
    tier.engine.lifecycle.succeed(record, tier.engine.workflows.get("echo", None), {"title": "t"})
    assert tier.engine.store.runs.get(record.run_id).status == "succeeded"
    assert events(tier, record.run_id)[-1] == ("run.succeeded", "succeeded")
    assert endings(metrics) == ["succeeded"]
    with pytest.raises(ChangedMeanwhile):
        tier.engine.lifecycle.succeed(record, tier.engine.workflows.get("echo", None), {"title": "t"})
    assert endings(metrics) == ["succeeded"]


def test_succeed_is_refused_while_the_run_waits(tier: Tier, metrics: Any) -> None:
    record = tier.engine.lifecycle.park(running(tier, "echo").run_id)
    with pytest.raises(ChangedMeanwhile):
        tier.engine.lifecycle.succeed(record, tier.engine.workflows.get("echo", None), {"title": "t"})
    assert tier.engine.store.runs.get(record.run_id).status == "waiting_for_input"
    assert endings(metrics) == []


def test_fail_from_waiting_closes_the_pending_checkpoint_in_the_same_commit(tier: Tier, metrics: Any) -> None:
    record = waiting(tier)
    failed = tier.engine.lifecycle.fail(record.run_id, "Boom", "it broke")
    assert failed.status == "failed"
    assert events(tier, record.run_id)[-2:] == [("checkpoint.cancelled", None), ("run.failed", "failed")]
    assert tier.engine.store.checkpoints.get(record.run_id, "review-1").status == "cancelled"
    assert endings(metrics) == ["failed"]
    with pytest.raises(ChangedMeanwhile):
        tier.engine.lifecycle.fail(record.run_id, "Again", "twice")
    assert endings(metrics) == ["failed"]


def test_cancel_ends_a_queued_run_and_then_refuses(tier: Tier, metrics: Any) -> None:
    record = queued(tier)
    assert tier.engine.lifecycle.cancel(record.run_id).status == "cancelled"
    assert events(tier, record.run_id)[-1] == ("run.cancelled", "cancelled")
    assert endings(metrics) == ["cancelled"]
    with pytest.raises(ChangedMeanwhile):
        tier.engine.lifecycle.cancel(record.run_id)
    assert endings(metrics) == ["cancelled"]


def test_cancel_with_abort_waits_fails_the_parked_wait(tier: Tier) -> None:
    record = waiting(tier)
    tier.engine.checkpoints.await_human(record.run_id, "review-1", "token-1")
    tier.engine.lifecycle.cancel(record.run_id, abort_waits=True)
    assert tier.orchestrator.named("abort") == [("abort", "token-1", "RunCancelled", "the run was cancelled")]


def test_time_out_ends_a_waiting_run_when_its_checkpoint_expires(tier: Tier, metrics: Any) -> None:
    record = waiting(tier, timeout_seconds=60)
    assert tier.engine.checkpoints.expire(record.run_id, "review-1")["outcome"] == "done"
    ended = tier.engine.store.runs.get(record.run_id)
    assert ended.status == "timed_out"
    assert events(tier, record.run_id)[-2:] == [("checkpoint.expired", None), ("run.timed_out", "timed_out")]
    assert endings(metrics) == ["timed_out"]


def test_time_out_is_refused_for_a_running_run(tier: Tier, metrics: Any) -> None:
    record = running(tier)
    entry = {"Put": {"TableName": "unused", "Item": {}}}  # never reached: the guard refuses first
    with pytest.raises(ChangedMeanwhile):
        tier.engine.lifecycle.time_out(record.run_id, {"type": "X", "message": "m"}, [], entry)
    assert tier.engine.store.runs.get(record.run_id).status == "running"
    assert endings(metrics) == []


def test_redrive_claims_the_run_from_the_version_found_lost(tier: Tier, metrics: Any) -> None:
    seen = waiting(tier)
    claimed = tier.engine.lifecycle.redrive(seen, f"{seen.run_id}.r1")
    assert (claimed.status, claimed.execution, claimed.redrives, claimed.parked_redrives) == (
        "waiting_for_input",
        f"{seen.run_id}.r1",
        1,
        1,
    )
    assert transitions(metrics)[-1] == "redrive"
    with pytest.raises(ChangedMeanwhile):  # a second sweep from the same version loses
        tier.engine.lifecycle.redrive(seen, f"{seen.run_id}.r1")
    assert transitions(metrics).count("redrive") == 1


def test_redrive_is_refused_for_an_ended_run(tier: Tier) -> None:
    record = queued(tier)
    ended = tier.engine.lifecycle.cancel(record.run_id)
    with pytest.raises(ChangedMeanwhile):
        tier.engine.lifecycle.redrive(ended, f"{record.run_id}.r1")

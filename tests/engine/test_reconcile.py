"""The reconciler (engine/reconcile.py) over the recording orchestrator: a run whose execution is gone
is re-driven once per loss, a parked run's losses don't count against its re-drives, a cancel that died
halfway is finished, and an execution parked on an answered checkpoint is resumed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent_runtime.engine.checkpoints import Approve
from agent_runtime.engine.reconcile import Reconciler
from agent_runtime.engine.runs import RunSpec
from agent_runtime.errors import TransientAwsError
from agent_runtime.store.run_items import RunRecord
from agent_runtime.workflows.checkpoints import CheckpointRequest, Suspend
from tests.clock import ScriptedClock
from tests.engine.conftest import Tier


def reconciler(tier: Tier, *, grace_seconds: float = 0, max_redrives: int = 3) -> Reconciler:
    # The clock a second ahead: a run written just now is past a zero grace.
    later = ScriptedClock(start=datetime.now(UTC) + timedelta(seconds=1))
    return tier.engine.new_reconciler(grace_seconds=grace_seconds, max_redrives=max_redrives, clock=later)


def running(tier: Tier) -> RunRecord:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    return tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))


def parked(tier: Tier) -> RunRecord:
    run = running(tier)
    kind = tier.engine.workflows.get("approval", None).checkpoints["review"]
    request = CheckpointRequest("review", kind, "Approve?", {"title": "t", "document": "d"}, None, None, None)
    with pytest.raises(Suspend):
        tier.engine.checkpoints.raise_checkpoint(run, "review", 1, request)
    tier.engine.checkpoints.await_human(run.run_id, "review-1", "token-1")
    return tier.engine.store.runs.get(run.run_id)


def test_a_run_whose_execution_is_gone_is_redriven_under_a_new_name_once(tier: Tier) -> None:
    run = running(tier)
    tier.orchestrator.executions[run.run_id] = "FAILED"
    done = reconciler(tier).sweep()
    assert done.redriven == [run.run_id]
    assert tier.orchestrator.named("start")[-1] == (
        "start",
        run.run_id,
        tier.tenant,
        f"{run.run_id}.r1",
        False,
    )
    now = tier.engine.store.runs.get(run.run_id)
    assert (now.execution, now.redrives, now.status) == (f"{run.run_id}.r1", 1, "running")
    # The re-drive runs: the next sweep leaves the run alone.
    starts = len(tier.orchestrator.named("start"))
    assert reconciler(tier).sweep().redriven == []
    assert len(tier.orchestrator.named("start")) == starts


def test_a_run_that_moved_within_the_grace_is_left_alone(tier: Tier) -> None:
    run = running(tier)
    tier.orchestrator.executions.pop(run.run_id)  # vanished (a local restart)
    assert reconciler(tier, grace_seconds=3600).sweep().redriven == []
    assert tier.engine.store.runs.get(run.run_id).redrives == 0


def test_a_run_lost_past_its_redrives_fails_execution_lost(tier: Tier) -> None:
    run = running(tier)
    tier.orchestrator.executions[run.run_id] = "ABORTED"
    assert reconciler(tier, max_redrives=1).sweep().redriven == [run.run_id]
    tier.orchestrator.executions[f"{run.run_id}.r1"] = "ABORTED"
    assert reconciler(tier, max_redrives=1).sweep().failed == [run.run_id]
    failed = tier.engine.runs.get(tier.tenant, run.run_id)
    assert failed.status == "failed"
    assert failed.error is not None and failed.error["type"] == "ExecutionLost"


def test_a_parked_run_alive_is_not_touched_and_its_losses_are_not_counted(tier: Tier) -> None:
    run = parked(tier)
    assert reconciler(tier, max_redrives=1).sweep().redriven == []  # its execution is alive, parked
    for loss in range(1, 4):  # lost again and again (restarts): re-driven each time, never failed
        tier.orchestrator.executions[tier.engine.store.runs.get(run.run_id).execution or run.run_id] = (
            "ABORTED"
        )
        done = reconciler(tier, max_redrives=1).sweep()
        assert (done.redriven, done.failed) == ([run.run_id], [])
        now = tier.engine.store.runs.get(run.run_id)
        assert (now.status, now.redrives, now.parked_redrives) == ("waiting_for_input", loss, loss)
    assert tier.engine.checkpoints.get(tier.tenant, run.run_id, "review-1").status == "pending"


def test_a_cancel_that_died_before_ending_the_run_is_finished(tier: Tier) -> None:
    run = running(tier)
    assert tier.engine.store.runs.request_stop(run.run_id, "cancelled", status="running")
    tier.orchestrator.executions[run.run_id] = "ABORTED"
    assert reconciler(tier).sweep().cancelled == [run.run_id]
    assert tier.engine.runs.get(tier.tenant, run.run_id).status == "cancelled"


def test_an_execution_parked_on_an_answered_checkpoint_is_resumed(
    tier: Tier, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = parked(tier)

    def throttled(task_token: str) -> None:
        raise TransientAwsError("ThrottlingException")

    with monkeypatch.context() as patch:  # the answer commits, its SendTaskSuccess fails
        patch.setattr(tier.orchestrator, "resume", throttled)
        tier.engine.checkpoints.answer(tier.tenant, run.run_id, "review-1", Approve(), "ana")
    assert tier.orchestrator.named("resume") == []
    assert reconciler(tier).sweep().resumed == [run.run_id]
    assert tier.orchestrator.named("resume") == [("resume", "token-1")]

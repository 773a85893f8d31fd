"""The usage meter is an object the engine is built with (store/usage_meter.py): a worker's invocation
hands it to its engine, whose commits of that run fold it in, and nothing else counts into it."""

from __future__ import annotations

import threading

import pytest

from agent_runtime.engine.runs import RunSpec
from agent_runtime.store.usage_meter import Meter
from agent_runtime.workflows.checkpoints import CheckpointRequest, Suspend
from tests.engine.conftest import Tier


def test_a_metered_engine_folds_the_invocations_counts_into_that_runs_next_commit(tier: Tier) -> None:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    other, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "u"}))
    before = tier.engine.store.runs.get(run.run_id).usage()
    meter = Meter(run.run_id, 1024, {"lambda_invocations": 1, "transitions": 2})
    engine = tier.engine.metered(meter)
    # Another run's commit through the same engine leaves the meter alone.
    engine.lifecycle.start(engine.store.runs.get(other.run_id))
    assert meter.counts == {"lambda_invocations": 1, "transitions": 2}
    started = engine.lifecycle.start(engine.store.runs.get(run.run_id))
    assert meter.counts == {}
    after = started.usage()
    assert after["lambda_invocations"] == before["lambda_invocations"] + 1
    assert after["transitions"] == before["transitions"] + 2


def test_a_checkpoint_raised_counts_what_follows_it_on_the_meter_of_its_run(tier: Tier) -> None:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    meter = Meter(run.run_id, 512, {})
    engine = tier.engine.metered(meter)
    record = engine.lifecycle.start(engine.store.runs.get(run.run_id))
    kind = engine.workflows.get("approval", None).checkpoints["review"]
    request = CheckpointRequest(
        name="review",
        kind=kind,
        prompt="?",
        payload={"title": "t"},
        timeout_seconds=None,
        assignee=None,
        default=None,
    )
    before = engine.store.runs.get(run.run_id).usage()
    with pytest.raises(Suspend):
        engine.checkpoints.raise_checkpoint(record, "review", 1, request)
    parked = engine.store.runs.get(run.run_id).usage()
    # AwaitHuman's transition and the checkpoint worker's invocation ride on the parking commit.
    assert parked["transitions"] == before["transitions"] + 1
    assert parked["lambda_invocations"] == before["lambda_invocations"] + 1


def test_the_meter_loses_no_count_between_threads_adding_and_a_commit_taking() -> None:
    meter = Meter("run", 512, {})
    taken: list[dict[str, int]] = []

    def adding() -> None:
        for _ in range(2000):
            meter.add({"operations": 1})

    threads = [threading.Thread(target=adding) for _ in range(4)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        taken.append(meter.take())
    taken.append(meter.take())
    assert sum(counts.get("operations", 0) for counts in taken) == 8000

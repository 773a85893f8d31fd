"""Runs.wait polls the run item: soon at first, then every WAIT_POLL_SECONDS, until the run settles or
the timeout passes."""

from __future__ import annotations

from agent_runtime.engine.runs import WAIT_POLL_SECONDS, RunSpec
from tests.engine.conftest import Tier


def test_a_wait_polls_soon_at_first_then_every_poll_interval(tier: Tier) -> None:
    # Given a run that stays queued, and a wait on it with a clock that moves only when it sleeps
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    # When it waits for a second
    seen = tier.engine.runs.wait(tier.tenant, run.run_id, 1.0, sleep=sleep, clock=lambda: now[0])
    # Then the first polls came 20 to 120 ms apart, the rest every poll interval, and the run is
    # answered as it is once the second has passed
    assert slept[:9] == [0.02, 0.02, 0.02, 0.03, 0.03, 0.04, 0.05, 0.08, 0.12]
    assert set(slept[9:]) == {WAIT_POLL_SECONDS}
    assert sum(slept) >= 1.0 > sum(slept[:-1])
    assert seen.status == "queued"


def test_a_wait_answers_as_soon_as_a_poll_sees_the_run_settled(tier: Tier) -> None:
    # Given a run that succeeds between the wait's first and second polls
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("echo", input={"a": 1}))
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            record = tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))
            tier.engine.lifecycle.succeed(record, tier.engine.workflows.get("echo", None), {"a": 2})

    # When it waits
    seen = tier.engine.runs.wait(tier.tenant, run.run_id, 10.0, sleep=sleep)
    # Then it answered at the second poll, 20 ms in
    assert slept == [0.02]
    assert (seen.status, seen.output) == ("succeeded", {"a": 2})

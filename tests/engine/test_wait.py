"""Runs.wait polls the run item: soon at first, then every WAIT_POLL_SECONDS, until the run settles or
the timeout passes."""

from __future__ import annotations

from agent_runtime.engine.runs import WAIT_POLL_SECONDS, RunSpec
from tests.clock import ScriptedClock
from tests.engine.conftest import Tier


def test_a_wait_polls_soon_at_first_then_every_poll_interval(tier: Tier) -> None:
    # Given a run that stays queued, and a wait on it with a clock that moves only when it sleeps
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    clock = ScriptedClock()
    slept = clock.sleeps

    # When it waits for a second
    seen = tier.engine.clocked(clock).runs.wait(tier.tenant, run.run_id, 1.0)
    # Then the first polls came 20 to 120 ms apart, the rest every poll interval, and the run is
    # answered as it is once the second has passed
    assert slept[:9] == [0.02, 0.02, 0.02, 0.03, 0.03, 0.04, 0.05, 0.08, 0.12]
    assert set(slept[9:]) == {WAIT_POLL_SECONDS}
    assert sum(slept) >= 1.0 > sum(slept[:-1])
    assert seen.status == "queued"


def test_a_wait_answers_as_soon_as_a_poll_sees_the_run_settled(tier: Tier) -> None:
    # Given a run that succeeds between the wait's first and second polls
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("echo", input={"a": 1}))

    def meanwhile(sleeps: int) -> None:
        if sleeps == 1:
            record = tier.engine.lifecycle.start(tier.engine.store.runs.get(run.run_id))
            tier.engine.lifecycle.succeed(record, tier.engine.workflows.get("echo", None), {"a": 2})

    clock = ScriptedClock(on_sleep=meanwhile)
    # When it waits
    seen = tier.engine.clocked(clock).runs.wait(tier.tenant, run.run_id, 10.0)
    # Then it answered at the second poll, 20 ms in
    assert clock.sleeps == [0.02]
    assert (seen.status, seen.output) == ("succeeded", {"a": 2})

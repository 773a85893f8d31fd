"""Runs.wait polls the run item: soon at first, then every WAIT_POLL_SECONDS, until the run settles or
the timeout passes."""

from __future__ import annotations

import threading

import pytest

from agent_runtime.engine import Engine
from agent_runtime.engine import runs as runs_module
from agent_runtime.engine.runs import WAIT_POLL_SECONDS, RunSpec
from agent_runtime.store.run_changes import Notified
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


def test_a_wait_that_hears_writes_answers_at_the_write_not_a_poll_later(
    tier: Tier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an engine that hears its client's writes (as on the local stack), polls 30 s apart from
    # the first, and a queued run
    client = tier.engine.store.table.client
    changes = Notified()
    changes.observe(client)
    monkeypatch.setattr(runs_module, "WAIT_POLL_SECONDS", 30.0)
    monkeypatch.setattr(runs_module, "WAIT_FIRST_POLLS", ())
    store, workflows = tier.engine.store, tier.engine.workflows
    engine = Engine(store, tier.engine.orchestrator, workflows=workflows, run_changes=changes)
    run, _ = engine.runs.create(tier.tenant, RunSpec("echo", input={"a": 1}))
    seen: list[str] = []
    waiter = threading.Thread(
        target=lambda: seen.append(engine.runs.wait(tier.tenant, run.run_id, 20.0).status), daemon=True
    )
    waiter.start()
    try:
        # When the run starts and succeeds meanwhile
        record = engine.lifecycle.start(engine.store.runs.get(run.run_id))
        engine.lifecycle.succeed(record, engine.workflows.get("echo", None), {"a": 2})
        # Then the wait answers with the run succeeded at once, not when its 30 s poll ends
        waiter.join(5)
    finally:
        changes.unobserve(client)  # the session's client: hear nothing more
    assert not waiter.is_alive() and seen == ["succeeded"]

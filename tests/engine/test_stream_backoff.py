"""A stream window on a quiet run polls less and less often; one that is receiving events does not."""

from __future__ import annotations

from typing import Any

from agent_runtime.engine import Engine
from agent_runtime.engine.streams import IDLE_POLL_CAP_SECONDS, Window
from tests.clock import ScriptedClock
from tests.conftest import Api

DOC_INPUT = {"title": "Q4 plan", "points": ["ship it"], "reviewer": "ana"}


def follow(api: Api, run_id: str, after: int, time: ScriptedClock, **window: Any) -> Window:
    return (
        Engine.default()
        .clocked(time)
        .streams.follow(
            api.tenant,
            run_id,
            after,
            frame=lambda _run, event: event.type,
            settled=lambda run: run.status == "succeeded",
            poll_seconds=0.25,
            **window,
        )
    )


def test_a_window_on_a_run_waiting_for_a_human_backs_off_to_the_cap(api: Api) -> None:
    run_id = api.create("approval", DOC_INPUT).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    last = api.events(run_id)[-1]["id"]
    time = ScriptedClock()
    window = follow(api, run_id, last, time, window_seconds=20, close_when_quiet=True)
    assert window.frames == [] and not window.finished
    assert time.sleeps[:5] == [0.25, 0.5, 1.0, IDLE_POLL_CAP_SECONDS, IDLE_POLL_CAP_SECONDS]
    # 20 s of a quiet window cost 13 polls instead of 80, and it still ends on time
    assert len(time.sleeps) == 13 and time.waited == 20


def test_a_window_holding_frames_polls_at_the_base_rate(api: Api) -> None:
    run_id = api.create("approval", DOC_INPUT).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    time = ScriptedClock()
    window = follow(api, run_id, 0, time, window_seconds=3, close_when_quiet=False)
    assert window.frames[0] == "run.created"
    assert set(time.sleeps) == {0.25}

"""The stream reader every door's events are built on (engine/streams.py), through engine.streams over
moto's DynamoDB with a scripted clock: JSON pages that end once the run has, and windows that follow a
run with no gap or repeat, close when told to, and back off while nothing happens.
tests/doors/v1/test_events.py drives the same through the v1 door's SSE on the whole stack."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent_runtime.engine.model import TERMINAL_STATUSES, Event, RunProgress
from agent_runtime.engine.runs import RunSpec
from agent_runtime.engine.streams import IDLE_POLL_CAP_SECONDS, Window
from agent_runtime.errors import NotFound
from agent_runtime.store.event_items import NewEvent
from tests.clock import ScriptedClock
from tests.engine.conftest import Tier


def Clock(on_sleep: Callable[[int], None] = lambda n: None) -> ScriptedClock:
    """Time that passes only when the reader sleeps; `on_sleep` plays what happens meanwhile."""
    return ScriptedClock(on_sleep=on_sleep)


def queued_run(tier: Tier) -> str:
    run, _ = tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}))
    return run.run_id


def emit(tier: Tier, run_id: str, *messages: str) -> None:
    """Events a step would commit (custom events, appended to the run in one guarded write)."""
    tier.engine.store.runs.commit(
        run_id, events=[NewEvent("progress.note", {"message": m}) for m in messages]
    )


def typed(progress: RunProgress, event: Event) -> str:
    return f"{event.seq}:{event.type}"


def ended(progress: RunProgress) -> bool:
    return progress.status in TERMINAL_STATUSES


def follow(tier: Tier, run_id: str, after: int, clock: ScriptedClock, **options: object) -> Window:
    settings: dict[str, object] = {
        "frame": typed,
        "settled": ended,
        "window_seconds": 10.0,
        "poll_seconds": 0.1,
        "close_when_quiet": False,
        **options,
    }
    return tier.engine.clocked(clock).streams.follow(
        tier.tenant,
        run_id,
        after,
        **settings,  # type: ignore[arg-type]
    )


# -- pages --------------------------------------------------------------------------------------------
def test_pages_follow_the_cursor_and_end_once_the_run_has(tier: Tier) -> None:
    run_id = queued_run(tier)
    emit(tier, run_id, "a", "b", "c")
    first = tier.engine.streams.page(tier.tenant, run_id, 0, 2, lambda e: e.seq)
    assert (first.data, first.next_cursor) == ([1, 2], "2")
    rest = tier.engine.streams.page(tier.tenant, run_id, 2, 10, lambda e: e.seq)
    assert (rest.data, rest.next_cursor) == ([3, 4], "4")  # active: more may come after its last
    tier.engine.runs.cancel(tier.tenant, run_id)
    last = tier.engine.streams.page(tier.tenant, run_id, 4, 10, lambda e: e.type)
    assert (last.data, last.next_cursor) == (["run.cancelled"], None)


def test_an_ended_runs_page_goes_on_until_its_last_event_is_read(tier: Tier) -> None:
    run_id = queued_run(tier)
    emit(tier, run_id, "a", "b")
    tier.engine.runs.cancel(tier.tenant, run_id)
    first = tier.engine.streams.page(tier.tenant, run_id, 0, 2, lambda e: e.seq)
    assert (first.data, first.next_cursor) == ([1, 2], "2")  # ended, but two events are left
    rest = tier.engine.streams.page(tier.tenant, run_id, 2, 2, lambda e: e.seq)
    assert (rest.data, rest.next_cursor) == ([3, 4], None)


def test_an_active_runs_empty_page_keeps_its_cursor(tier: Tier) -> None:
    run_id = queued_run(tier)
    page = tier.engine.streams.page(tier.tenant, run_id, 1, 10, lambda e: e.seq)
    assert (page.data, page.next_cursor) == ([], "1")


def test_another_tenants_events_are_not_found(tier: Tier) -> None:
    run_id = queued_run(tier)
    with pytest.raises(NotFound):
        tier.engine.streams.page("t-other", run_id, 0, 10, lambda e: e.seq)
    with pytest.raises(NotFound):
        tier.engine.streams.follow(
            "t-other",
            run_id,
            0,
            frame=typed,
            settled=ended,
            window_seconds=1,
            poll_seconds=0.1,
            close_when_quiet=False,
        )


# -- windows ------------------------------------------------------------------------------------------
def test_a_window_on_an_ended_run_sends_everything_after_the_cursor_and_finishes(tier: Tier) -> None:
    run_id = queued_run(tier)
    emit(tier, run_id, "a", "b")
    tier.engine.runs.cancel(tier.tenant, run_id)
    clock = Clock()
    window = follow(tier, run_id, 1, clock)
    assert window.frames == ["2:progress.note", "3:progress.note", "4:run.cancelled"]
    assert (window.last_id, window.finished, window.run.status) == (4, True, "cancelled")
    assert clock.sleeps == []


def test_frames_a_door_does_not_show_still_move_the_cursor(tier: Tier) -> None:
    run_id = queued_run(tier)
    emit(tier, run_id, "a")
    tier.engine.runs.cancel(tier.tenant, run_id)

    def notes_only(progress: RunProgress, event: Event) -> str | None:
        return event.type if event.type == "progress.note" else None

    window = follow(tier, run_id, 0, Clock(), frame=notes_only)
    assert window.frames == ["progress.note"]
    assert (window.last_id, window.finished) == (3, True)


def test_a_window_picks_up_events_committed_while_it_waits_then_the_end(tier: Tier) -> None:
    run_id = queued_run(tier)

    def meanwhile(n: int) -> None:
        if n == 2:
            emit(tier, run_id, "late")
        if n == 4:
            tier.engine.runs.cancel(tier.tenant, run_id)

    window = follow(tier, run_id, 1, Clock(meanwhile))
    assert window.frames == ["2:progress.note", "3:run.cancelled"]
    assert window.finished


def test_a_quiet_window_closes_at_its_deadline_and_the_next_resumes_without_repeats(tier: Tier) -> None:
    run_id = queued_run(tier)
    emit(tier, run_id, "a")
    clock = Clock()
    first = follow(tier, run_id, 0, clock, window_seconds=5.0)
    assert first.frames == ["1:run.created", "2:progress.note"]
    assert (first.last_id, first.finished) == (2, False)
    assert clock.waited == pytest.approx(5.0)
    emit(tier, run_id, "b")
    tier.engine.runs.cancel(tier.tenant, run_id)
    second = follow(tier, run_id, first.last_id, Clock())
    assert second.frames == ["3:progress.note", "4:run.cancelled"]
    assert second.finished


def test_close_when_quiet_ends_a_window_at_the_first_empty_poll_after_frames(tier: Tier) -> None:
    run_id = queued_run(tier)
    clock = Clock()
    window = follow(tier, run_id, 0, clock, close_when_quiet=True)
    assert window.frames == ["1:run.created"]
    assert not window.finished
    assert clock.sleeps == [0.1]  # one more poll found nothing: closed, not held to the deadline


def test_a_held_window_closes_once_its_first_frame_is_that_old(tier: Tier) -> None:
    run_id = queued_run(tier)

    def steady(n: int) -> None:
        emit(tier, run_id, f"n{n}")

    clock = Clock(steady)
    window = follow(tier, run_id, 0, clock, hold_seconds=0.25)
    assert not window.finished
    assert clock.waited == pytest.approx(0.3)  # frames kept coming: polled at 0.1 s, out after 0.25 s
    assert window.frames == ["1:run.created", "2:progress.note", "3:progress.note", "4:progress.note"]


def test_an_idle_window_backs_off_to_its_cap_and_stays_within_its_deadline(tier: Tier) -> None:
    run_id = queued_run(tier)
    clock = Clock()
    window = follow(tier, run_id, 1, clock, window_seconds=12.0)
    assert window.frames == []
    assert not window.finished
    assert clock.sleeps[:5] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6])
    assert max(clock.sleeps) == pytest.approx(IDLE_POLL_CAP_SECONDS)
    assert clock.waited == pytest.approx(12.0)

"""A run's events: JSON pages, and the one follow loop every door's stream is built on.

API Gateway and buffered Lambdas can't hold a socket forever, so a stream is windowed: one response
holds every event after the cursor, waits for more up to a bounded window, and ends; clients
reconnect with the last event id and get the rest, with no gap and no repeat. Each door frames the
events in its protocol's shape (`frame`) and says when its stream is done (`settled`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent_runtime.engine import budget
from agent_runtime.engine.model import TERMINAL_STATUSES, Event, Page, RunProgress

if TYPE_CHECKING:
    from agent_runtime.clock import Clock
    from agent_runtime.engine.runs import Runs
    from agent_runtime.store.event_items import EventItems

READ_PAGE = 100
# A window that has found nothing yet (a run waiting on a human, a slow model call) polls less and less
# often, up to this: each poll is a read of the run and of its events, and a client may hold a stream
# open on a run for hours. The first event after a quiet spell is late by at most this much.
IDLE_POLL_CAP_SECONDS = 2.0


@dataclass
class Window:
    frames: list[str]
    last_id: int
    # The stream is done: the run settled (as the door defines it) and every event was read.
    finished: bool
    run: RunProgress


class Streams:
    def __init__(self, events: EventItems, runs: Runs, clock: Clock) -> None:
        self.events = events
        self.runs = runs
        self.clock = clock  # a window's deadline and its polls' pauses

    def page(
        self, tenant_id: str, run_id: str, after: int, limit: int, shape: Callable[[Event], object]
    ) -> Page:
        """Events after `after`, as many as one response holds; next_cursor is None once the run is
        terminal and this page holds its last event."""
        record = self.runs.record(tenant_id, run_id)  # read first: if terminal, event_seq is final
        events = self.events.after(run_id, after, limit)
        shown = budget.take(shape(e) for e in events)
        last = events[len(shown) - 1].seq if shown else after
        finished = record.status in TERMINAL_STATUSES and last >= record.event_seq
        return Page(shown, None if finished else str(last))

    def follow(
        self,
        tenant_id: str,
        run_id: str,
        after: int,
        *,
        frame: Callable[[RunProgress, Event], str | None],
        settled: Callable[[RunProgress], bool],
        window_seconds: float,
        poll_seconds: float,
        close_when_quiet: bool,
        hold_seconds: float | None = None,
    ) -> Window:
        """Frames of the events after `after`, following the run until it settles (and all its events
        are read) or the window closes. `frame` returns None for events the door doesn't show (they
        still move the cursor). With `close_when_quiet`, the window also closes once it has sent
        frames and a poll finds nothing new, so clients see bursts promptly; with `hold_seconds`, once
        its first frame is that old, so a steady stream reaches a buffered client within that time."""
        clock, sleep = self.clock.monotonic, self.clock.sleep
        deadline = clock() + window_seconds
        frames: list[str] = []
        size = 0
        read = after
        first_frame_at: float | None = None
        pause = poll_seconds
        while True:
            record = self.runs.record(tenant_id, run_id)
            progress = RunProgress(record.run_id, record.status, record.event_seq)
            fresh = 0
            full = False
            while not full and (batch := self.events.after(run_id, read, READ_PAGE)):
                for event in batch:
                    text = frame(progress, event)
                    if text is not None:
                        if frames and size + len(text.encode()) > budget.RESPONSE_BUDGET_BYTES:
                            full = True  # this response is full: the client reconnects for the rest
                            break
                        frames.append(text)
                        size += len(text.encode())
                        fresh += 1
                        first_frame_at = first_frame_at or clock()
                    read = event.seq
            if settled(progress) and read >= progress.event_seq:
                return Window(frames, read, True, progress)
            if (
                hold_seconds is not None
                and first_frame_at is not None
                and clock() - first_frame_at >= hold_seconds
            ):
                return Window(frames, read, False, progress)
            if full or (close_when_quiet and not fresh and frames) or clock() >= deadline:
                return Window(frames, read, False, progress)
            if frames:  # back off only while nothing was found: held frames go out on time
                pause = poll_seconds
            sleep(min(pause, max(0.0, deadline - clock())))
            pause = min(pause * 2, max(poll_seconds, IDLE_POLL_CAP_SECONDS))

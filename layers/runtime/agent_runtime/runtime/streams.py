"""A run's events as JSON pages or as a window of server-sent events.

API Gateway and buffered Lambdas can't hold a socket forever, so SSE is windowed: one response holds
every event after the cursor, waits for more up to a bounded window, and ends with a `retry:` hint.
Clients reconnect with Last-Event-ID and get the rest, with no gap and no repeat.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from agent_runtime.config import settings
from agent_runtime.models import TERMINAL_STATUSES, Event, EventPage
from agent_runtime.runtime import budget
from agent_runtime.store import runs as store

PAGE = 100


def page(tenant_id: str, run_id: str, after: int, limit: int) -> EventPage:
    record = store.get(run_id, tenant_id)  # read first: if terminal, its event_seq is final
    events = budget.take(store.events_after(run_id, after, limit))
    last = events[-1].id if events else after
    finished = record.status in TERMINAL_STATUSES and last >= record.event_seq
    return EventPage(data=events, next_cursor=None if finished else str(last))


def sse_event(event: Event) -> str:
    data = json.dumps(event.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False)
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"


@dataclass
class Window:
    body: str
    last_id: int
    finished: bool


def sse_window(
    tenant_id: str,
    run_id: str,
    after: int,
    *,
    window_seconds: float | None = None,
    poll_seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Window:
    """Events after `after`, waiting for more until the run ends or the window closes.

    The window closes early once it has sent events and a poll finds nothing new, so a client sees
    bursts promptly instead of at the end of the window.
    """
    cfg = settings()
    window = cfg.sse_window_seconds if window_seconds is None else window_seconds
    poll = cfg.sse_poll_seconds if poll_seconds is None else poll_seconds
    deadline = clock() + window
    # The retry hint rides on the first event: a frame of its own would reach some clients
    # (httpx-sse, for one) as an empty "message" event.
    chunks: list[str] = []
    size = 0
    sent = after
    while True:
        record = store.get(run_id, tenant_id)
        fresh = 0
        full = False
        while not full and (batch := store.events_after(run_id, sent, PAGE)):
            for event in batch:
                frame = sse_event(event)
                if not chunks:
                    frame = f"retry: {cfg.sse_retry_ms}\n" + frame
                elif size + len(frame.encode()) > budget.RESPONSE_BUDGET_BYTES:
                    full = True  # this response is full: the client reconnects for the rest
                    break
                chunks.append(frame)
                size += len(frame.encode())
                sent = event.id
                fresh += 1
        if record.status in TERMINAL_STATUSES and sent >= record.event_seq:
            end = {"run_id": run_id, "status": record.status, "last_event_id": sent}
            chunks.append(f"event: end\ndata: {json.dumps(end, separators=(',', ':'))}\n\n")
            return Window("".join(chunks), sent, True)
        if full or (not fresh and sent > after) or clock() >= deadline:
            # A comment line with no blank line after it: no parser dispatches an event for it (some,
            # like httpx-sse, would turn a terminated comment block into a repeat of the last id).
            chunks.append(": window closed; reconnect with Last-Event-ID\n")
            return Window("".join(chunks), sent, False)
        sleep(poll)

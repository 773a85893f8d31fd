"""The v1 event stream: windowed SSE (`id:` = the event's gap-free number, `event:` its type, one JSON
`data:` line), ending with `event: end` once the run is terminal and every event was sent."""

from __future__ import annotations

import json

from agent_runtime.config import settings
from agent_runtime.engine import Engine
from agent_runtime.engine.model import TERMINAL_STATUSES, Event, RunProgress
from agent_runtime.engine.streams import Window
from agent_runtime.v1.views import event_json


def sse_event(event: Event) -> str:
    data = json.dumps(event_json(event), separators=(",", ":"), ensure_ascii=False)
    return f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n"


def sse_window(
    engine: Engine,
    tenant_id: str,
    run_id: str,
    after: int,
    *,
    window_seconds: float | None = None,
) -> str:
    """One window of the run's SSE stream after `after` (see engine/streams.py). It closes early once
    it has sent events and a poll finds nothing new, or once its first event is SSE_HOLD_SECONDS old
    (the response is buffered: a steady stream of tokens must not wait for the whole window)."""
    config = settings()
    window: Window = engine.streams.follow(
        tenant_id,
        run_id,
        after,
        frame=lambda _run, event: sse_event(event),
        settled=lambda run: run.status in TERMINAL_STATUSES,
        window_seconds=config.sse_window_seconds if window_seconds is None else window_seconds,
        poll_seconds=config.sse_poll_seconds,
        close_when_quiet=True,
        hold_seconds=config.sse_hold_seconds,
    )
    frames = list(window.frames)
    if frames:
        # The retry hint rides on the first event: a frame of its own would reach some clients
        # (httpx-sse, for one) as an empty "message" event.
        frames[0] = f"retry: {config.sse_retry_ms}\n" + frames[0]
    if window.finished:
        frames.append(_end(window.run, window.last_id))
    else:
        # A comment line with no blank line after it: no parser dispatches an event for it (some,
        # like httpx-sse, would turn a terminated comment block into a repeat of the last id).
        frames.append(": window closed; reconnect with Last-Event-ID\n")
    return "".join(frames)


def _end(run: RunProgress, last_id: int) -> str:
    end = {"run_id": run.run_id, "status": run.status, "last_event_id": last_id}
    return f"event: end\ndata: {json.dumps(end, separators=(',', ':'))}\n\n"

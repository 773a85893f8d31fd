"""Task streams (SendStreamingMessage, SubscribeToTask) as SSE: the task first, then an update per
engine event, resumable after an event id with no gap and no repeat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_runtime.a2a import views
from agent_runtime.a2a.caller import Caller, task_run
from agent_runtime.a2a.errors import UnsupportedOperation
from agent_runtime.a2a.settings import wait_seconds
from agent_runtime.engine.model import Run, RunProgress

STREAM_POLL_SECONDS = 0.2
# Each binding wraps a StreamResponse its own way (JSON-RPC: in a response object).
Wrap = Callable[[dict[str, Any]], str]


def sse_frame(payload: str, event_id: int | None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}data: {payload}\n\n"


def stream(caller: Caller, run: Run, after: int | None, wrap: Wrap) -> str:
    """SSE: the task first (its snapshot covers every event up to its `eventId`), then an update per
    event after it, until the task is terminal or interrupted or the window closes. Resuming after an
    id (`after`) sends the snapshot without an id, then every event after that id: no gap, no repeat."""
    start = run.event_seq if after is None else after
    snapshot = views.task(caller.engine, run, event_id=run.event_seq if after is None else None)
    frames = [sse_frame(wrap({"task": snapshot}), run.event_seq if after is None else None)]

    def frame(progress: RunProgress, event: Any) -> str | None:
        responses = views.stream_responses(caller.engine, run, event)
        if not responses:
            return None
        last = len(responses) - 1
        return "".join(sse_frame(wrap(r), event.seq if i == last else None) for i, r in enumerate(responses))

    window = caller.engine.streams.follow(
        caller.tenant_id,
        run.run_id,
        start,
        frame=frame,
        settled=lambda progress: progress.status in views.SETTLED,
        window_seconds=wait_seconds(),
        poll_seconds=STREAM_POLL_SECONDS,
        close_when_quiet=False,
    )
    body = "".join(frames + window.frames)
    # A comment and no blank line: no client parses it as an event.
    return body if window.finished else body + ": window closed; SubscribeToTask with Last-Event-ID\n"


def subscribe(caller: Caller, task_id: str, after: int | None, wrap: Wrap) -> str:
    run = task_run(caller, task_id)
    if run.terminal and after is None:
        raise UnsupportedOperation(
            f"task {task_id} is {views.STATE[run.status]}: nothing to subscribe to "
            "(resume with Last-Event-ID to read the updates after an id)",
            taskId=task_id,
        )
    return stream(caller, run, after, wrap)

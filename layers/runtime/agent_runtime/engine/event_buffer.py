"""Step code's events, buffered and committed in batches.

An agent streaming tokens emits hundreds of events a second; one commit each would contend with every
status change (cancel above all) for the run item and pay a transaction per event. The buffer commits
when it holds FLUSH_EVENTS events or FLUSH_BYTES of data (one transaction of a few pages: DynamoDB
takes 100 entries and 4 MB per transaction), when its oldest event is EVENT_FLUSH_SECONDS old
(a background flusher that sleeps until exactly then: a streamed token waits at most that long), and
always before the step's own commits (a checkpoint, an artifact, the step's end, a failure), so events
keep their order relative to status changes and ids stay gap-free. The time bound trades a stream's
latency against its commits (bench/reports/stream_latency.md, docs/cost.md).

Once the run is no longer running (cancelled, most likely) a flush fails its guard: the buffered
events are dropped, and step code's next `emit` raises RunStopped, which step code can't swallow
(a BaseException, like the checkpoint suspension). Cancel thus wins within one batch period.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from agent_runtime.store.errors import ChangedMeanwhile
from agent_runtime.store.event_items import NewEvent
from agent_runtime.store.payloads import to_json

FLUSH_EVENTS = 1000
FLUSH_BYTES = 1024 * 1024
FLUSH_SECONDS = 0.1  # the default of EVENT_FLUSH_SECONDS (config.py)


class RunStopped(BaseException):
    """The run stopped (cancelled or ended elsewhere) while the step was running."""


class EventBuffer:
    def __init__(
        self,
        commit: Callable[[list[NewEvent]], None],
        clock: Callable[[], float] = time.monotonic,
        flush_seconds: float = FLUSH_SECONDS,
    ):
        self._commit = commit
        self._clock = clock
        self._flush_seconds = flush_seconds  # EVENT_FLUSH_SECONDS, given by the engine
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: list[NewEvent] = []
        self._bytes = 0
        self._oldest = 0.0
        self._failure: BaseException | None = None
        self._flusher: threading.Thread | None = None
        self._closed = False

    def add(self, event: NewEvent) -> None:
        with self._lock:
            self._raise_failure()
            if not self._pending:
                self._oldest = self._clock()
                self._wake.notify()  # the flusher sleeps until this one is due
            self._pending.append(event)
            self._bytes += len(to_json(dict(event.data)).encode())
            if len(self._pending) >= FLUSH_EVENTS or self._bytes >= FLUSH_BYTES:
                self._flush_locked()
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_when_old, name="event-flusher", daemon=True)
            self._flusher.start()

    def flush(self) -> None:
        """Commit what is buffered now (raises RunStopped if the run stopped meanwhile)."""
        with self._lock:
            self._raise_failure()
            self._flush_locked()

    def close(self) -> None:
        """Stop the background flusher (the caller flushes first if the events should be kept)."""
        with self._lock:
            self._closed = True
            self._wake.notify()
        if self._flusher is not None:
            self._flusher.join(timeout=5)

    def _flush_locked(self) -> None:
        if not self._pending:
            return
        batch, self._pending, self._bytes = self._pending, [], 0
        try:
            self._commit(batch)
        except ChangedMeanwhile as stopped:
            self._failure = RunStopped(str(stopped))
            raise self._failure from stopped
        except Exception as error:  # throttling that outlasted the retries: the task is retried
            self._failure = error
            raise

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _flush_when_old(self) -> None:
        with self._lock:
            while not self._closed:
                if not self._pending or self._failure is not None:
                    # A failure is kept in _failure: step code's next emit or flush raises it.
                    self._wake.wait()
                    continue
                due = self._oldest + self._flush_seconds - self._clock()
                if due > 0:
                    self._wake.wait(due)
                    continue
                with contextlib.suppress(BaseException):
                    self._flush_locked()

"""Knowing when a run's item was written, so a wait for a run wakes when it moves instead of polling.

In the cloud a run's item is written by other Lambdas, so nothing in a process hears of it: `Polling`
sleeps between reads, on the engine's clock. Where every writer shares the process (the local stack),
`Notified` hears each committed write of a run's item from the clients' own events (`observe`, an
`agent_runtime.aws.client_observers` entry) and wakes that run's watchers at once; a wait still reads
the run on each wake and at least every poll period, so a write it didn't hear (another process, a
fault) only costs latency, never an answer.

The host chooses: `install()` by the host that knows every writer is in its process, read once by
`Engine.default()` at the edge."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from agent_runtime.clock import Clock
from agent_runtime.store import keys

# The writes that can change a run's item, and where each request names the items it writes.
_WRITES = ("TransactWriteItems", "UpdateItem", "PutItem")


class Watch(Protocol):
    def wait(self, seconds: float) -> bool:
        """Return after `seconds`, or sooner if the run's item was written since the watch began or
        since the last wait returned: True if it heard such a write."""
        ...


class RunChanges(Protocol):
    # True when a wait is woken by every write in this process: a waiter then needs no quick polls.
    notifies: bool

    def watch(self, run_id: str) -> Any:
        """A context manager giving a `Watch` of the run for as long as it is open."""
        ...


class _Sleep:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def wait(self, seconds: float) -> bool:
        self._clock.sleep(seconds)
        return False


class Polling:
    """No notice of writes: a wait sleeps on the clock (the cloud, where writers are other Lambdas)."""

    notifies = False

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    @contextmanager
    def watch(self, run_id: str) -> Iterator[Watch]:
        yield _Sleep(self._clock)


class _Watched:
    def __init__(self, changes: Notified, run_id: str) -> None:
        self._changes = changes
        self._run_id = run_id
        self._seen = changes._writes[run_id]

    def wait(self, seconds: float) -> bool:
        changes, run_id = self._changes, self._run_id
        with changes._condition:
            heard = changes._condition.wait_for(
                lambda: changes._writes[run_id] != self._seen, timeout=seconds
            )
            self._seen = changes._writes[run_id]
        return heard


class Notified:
    """Wakes a run's watchers when a client of this process commits a write of the run's item."""

    notifies = True

    def __init__(self) -> None:
        self._condition = threading.Condition()
        # writes counted per watched run (only while someone watches it, so the map stays small)
        self._writes: dict[str, int] = {}
        self._watchers: dict[str, int] = {}

    @contextmanager
    def watch(self, run_id: str) -> Iterator[Watch]:
        with self._condition:
            self._watchers[run_id] = self._watchers.get(run_id, 0) + 1
            self._writes.setdefault(run_id, 0)
            watched = _Watched(self, run_id)
        try:
            yield watched
        finally:
            with self._condition:
                self._watchers[run_id] -= 1
                if not self._watchers[run_id]:
                    del self._watchers[run_id], self._writes[run_id]

    def written(self, run_ids: list[str]) -> None:
        with self._condition:
            woken = [run_id for run_id in run_ids if run_id in self._writes]
            for run_id in woken:
                self._writes[run_id] += 1
            if woken:
                self._condition.notify_all()

    def observe(self, client: Any) -> None:
        """Hear the run items a DynamoDB `client` writes (an aws.client_observers entry)."""
        for event, handler in self._hooks(client):
            client.meta.events.register(event, handler)

    def unobserve(self, client: Any) -> None:
        for event, handler in self._hooks(client):
            client.meta.events.unregister(event, handler)

    def _hooks(self, client: Any) -> list[tuple[str, Any]]:
        """Before each write, which runs it writes (from its parameters); after a 2xx, wake them."""
        if client.meta.service_model.service_name != "dynamodb":
            return []
        return [
            hook
            for operation in _WRITES
            for hook in (
                (f"before-parameter-build.dynamodb.{operation}", _note_runs),
                (f"after-call.dynamodb.{operation}", self._after_call),
            )
        ]

    def _after_call(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        run_ids = context.get("written_runs")
        if run_ids and http_response.status_code < 300:
            self.written(run_ids)


def _note_runs(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Before the call: which runs' items it writes (read from its parameters, kept in its context)."""
    if "TransactItems" in params:
        targets = [next(iter(entry.values())) for entry in params["TransactItems"]]
    else:
        targets = [params]
    run_ids = [run_id for target in targets if (run_id := _run_of(target)) is not None]
    if run_ids:
        context["written_runs"] = run_ids


def _run_of(target: dict[str, Any]) -> str | None:
    key = target.get("Key") or target.get("Item") or {}
    pk, sk = (_string(key.get(name)) for name in ("PK", "SK"))
    if pk is None or sk != keys.META or not pk.startswith(keys.RUN_PREFIX):
        return None
    return pk[len(keys.RUN_PREFIX) :]


def _string(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("S")
    return value if isinstance(value, str) else None


_installed: RunChanges | None = None


def install(changes: RunChanges | None) -> None:
    """Set (or with None, clear) what this process's engines use to hear of run writes."""
    global _installed
    _installed = changes


def installed() -> RunChanges | None:
    return _installed

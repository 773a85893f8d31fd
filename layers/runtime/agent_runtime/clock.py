"""Time: RFC 3339 UTC timestamps with milliseconds for everything stored and shown, and epoch
seconds where DynamoDB needs a number (TTLs, expiry checks).

`Clock` is what the engine's deadlines read (a wait's and a stream window's end, a checkpoint's
expiry, a webhook's retry window and backoff, the reconciler's grace): `Engine` gives each service
the one it was built with, the system's unless a test gives a scripted one, so a test moves time
instead of sleeping through it or patching the `time` module."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The wall-clock time, UTC (what is stored and compared with stored times)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never going back (intervals within one process)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM = SystemClock()


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(datetime.now(UTC))


def epoch_seconds() -> int:
    return int(time.time())

"""A scripted clock for tests (agent_runtime/clock.py's Clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class ScriptedClock:
    """agent_runtime/clock.py's Clock for tests: time passes only when the reader sleeps (or the test
    moves it on); `on_sleep` plays what happens meanwhile (it gets the number of sleeps so far). Give
    it to an engine with `engine.clocked(clock)`."""

    MONOTONIC_START = 1000.0  # a monotonic clock's reading is never 0

    def __init__(
        self, start: datetime | None = None, on_sleep: Callable[[int], None] = lambda n: None
    ) -> None:
        self.start = start or datetime.now(UTC)
        self.waited = 0.0  # seconds it moved on
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.waited)

    def monotonic(self) -> float:
        return self.MONOTONIC_START + self.waited

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.waited += seconds
        self.on_sleep(len(self.sleeps))

    def advance(self, seconds: float) -> None:
        self.waited += seconds

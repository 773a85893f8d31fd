"""Step code's events are committed in batches: by count, by bytes, by age, and on demand; once the
run stopped, the step's next emit raises RunStopped."""

from __future__ import annotations

import time
from typing import Any

import pytest

from agent_runtime.engine.event_buffer import (
    FLUSH_BYTES,
    FLUSH_EVENTS,
    FLUSH_SECONDS,
    EventBuffer,
    RunStopped,
)
from agent_runtime.store.errors import ChangedMeanwhile
from agent_runtime.store.event_items import NewEvent


class Commits:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_with = fail_with

    def __call__(self, events: list[NewEvent]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.batches.append([int(e.data["n"]) for e in events])


def test_a_full_batch_commits_at_once_in_order() -> None:
    commits = Commits()
    buffer = EventBuffer(commits)
    try:
        for n in range(FLUSH_EVENTS + 3):
            buffer.add(NewEvent("token", {"n": n}))
        assert commits.batches == [list(range(FLUSH_EVENTS))]
        buffer.flush()
        assert commits.batches[1] == [FLUSH_EVENTS, FLUSH_EVENTS + 1, FLUSH_EVENTS + 2]
    finally:
        buffer.close()


def test_bytes_bound_a_batch() -> None:
    commits = Commits()
    buffer = EventBuffer(commits)
    try:
        buffer.add(NewEvent("blob", {"n": 0, "text": "x" * FLUSH_BYTES}))
        assert commits.batches == [[0]]
    finally:
        buffer.close()


def test_an_old_event_is_committed_by_the_flusher_without_another_emit() -> None:
    commits = Commits()
    buffer = EventBuffer(commits)
    try:
        buffer.add(NewEvent("token", {"n": 1}))
        deadline = time.monotonic() + 5
        while not commits.batches and time.monotonic() < deadline:
            time.sleep(FLUSH_SECONDS / 4)
        assert commits.batches == [[1]]
    finally:
        buffer.close()


def test_once_the_run_stopped_the_next_emit_raises_run_stopped() -> None:
    commits = Commits(fail_with=ChangedMeanwhile(object()))
    buffer = EventBuffer(commits)
    try:
        buffer.add(NewEvent("token", {"n": 1}))
        with pytest.raises(RunStopped):
            buffer.flush()
        with pytest.raises(RunStopped):
            buffer.add(NewEvent("token", {"n": 2}))
        # Step code catching Exception can't swallow it.
        assert not issubclass(RunStopped, Exception)
    finally:
        buffer.close()


def test_a_transient_failure_reaches_the_step_to_be_retried() -> None:
    failure: Any = RuntimeError("throttled")
    buffer = EventBuffer(Commits(fail_with=failure))
    try:
        buffer.add(NewEvent("token", {"n": 1}))
        with pytest.raises(RuntimeError):
            buffer.flush()
    finally:
        buffer.close()

"""Events packed in pages: written in pages of at most PAGE_EVENTS events or PAGE_BYTES, read back
from any cursor (a page boundary or mid-page) with no gap and no repeat."""

from __future__ import annotations

import uuid

from agent_runtime.engine import Engine
from agent_runtime.store.event_items import PAGE_BYTES, PAGE_EVENTS, NewEvent
from agent_runtime_local.cloud import Resources


def write(count: int, data_bytes: int = 10, first: int = 1) -> tuple[str, int]:
    """A run's events 1..count written as one commit would (pages of one transaction each)."""
    events = Engine.default().store.events
    run_id = str(uuid.uuid4())
    entries = events.page_entries(
        "t",
        run_id,
        first,
        [NewEvent("token", {"n": n, "text": "x" * data_bytes}) for n in range(count)],
        "now",
    )
    for entry in entries:
        assert events.table.transact([entry]) is None
    return run_id, len(entries)


def test_events_pack_into_pages_by_count(cloud: Resources) -> None:
    _, pages = write(2 * PAGE_EVENTS + 5)
    assert pages == 3


def test_events_pack_into_pages_by_bytes(cloud: Resources) -> None:
    # Events of 30 KiB: a page holds what fits in PAGE_BYTES, fewer than PAGE_EVENTS.
    _, pages = write(20, data_bytes=30 * 1024)
    per_page = PAGE_BYTES // (30 * 1024)
    assert pages == -(-20 // per_page)


def test_reading_from_every_cursor_gives_the_rest_in_order(cloud: Resources) -> None:
    events = Engine.default().store.events
    total = PAGE_EVENTS + 30
    run_id, _ = write(total)
    for after in (0, 1, 57, PAGE_EVENTS - 1, PAGE_EVENTS, PAGE_EVENTS + 1, total - 1, total):
        read: list[int] = []
        cursor = after
        while batch := events.after(run_id, cursor, 7):  # small limits stop mid-page
            read += [e.seq for e in batch]
            cursor = batch[-1].seq
        assert read == list(range(after + 1, total + 1)), after


def test_large_event_data_goes_to_s3_and_comes_back(cloud: Resources) -> None:
    events = Engine.default().store.events
    big = 70 * 1024  # over the 64 KiB inline limit
    run_id, pages = write(3, data_bytes=big)
    assert pages == 1  # the page holds references, not the data
    read = events.after(run_id, 0, 10)
    assert [len(e.data["text"]) for e in read] == [big, big, big]

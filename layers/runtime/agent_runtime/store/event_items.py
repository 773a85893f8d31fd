"""Event items: a run's events, packed in pages. `RUN#<run_id> / EVT#<first seq>` holds up to
PAGE_EVENTS consecutive events (and at most PAGE_BYTES of them), so a burst of agent tokens costs a
fraction of a write unit per event, and readers get a hundred events per item read.

Pages are written only inside a run's commit (store/run_items.py), which allocates the events' gap-free
sequence numbers: a reader never sees a status without its event, or a hole. An event's data above the
inline limit (64 KiB) goes to S3 on its own (claim check) and the page keeps the reference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_runtime.store import keys
from agent_runtime.store.dynamo import Table
from agent_runtime.store.payloads import Payloads, to_json

PAGE_EVENTS = 100
PAGE_BYTES = 200 * 1024  # well under DynamoDB's 400 KB item limit
# How many pages one read fetches at most: a response holds 4 MiB of events at most anyway.
READ_PAGES = 20


@dataclass(frozen=True)
class NewEvent:
    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventRecord:
    seq: int
    run_id: str
    type: str
    data: dict[str, Any]
    created_at: str


class EventItems:
    def __init__(self, table: Table, payloads: Payloads) -> None:
        self.table = table
        self.payloads = payloads

    def page_entries(
        self,
        tenant_id: str,
        run_id: str,
        first_seq: int,
        events: Sequence[NewEvent],
        created_at: str,
        *,
        hook: bool = False,
    ) -> list[dict[str, Any]]:
        """Transaction entries appending `events` as seq first_seq, first_seq + 1, ... (once each: a
        page's first sequence number is its key). `hook` marks pages of runs with a callback URL: the
        table stream's filter invokes the webhook dispatcher for those only."""
        entries: list[dict[str, Any]] = []
        page: list[dict[str, Any]] = []
        size = 0
        start = first_seq
        for offset, event in enumerate(events):
            seq = first_seq + offset
            stored = self._stored(tenant_id, run_id, seq, event, created_at)
            stored_size = len(to_json(stored).encode())
            if page and (len(page) == PAGE_EVENTS or size + stored_size > PAGE_BYTES):
                entries.append(self._page_entry(tenant_id, run_id, start, page, hook))
                page, size, start = [], 0, seq
            page.append(stored)
            size += stored_size
        if page:
            entries.append(self._page_entry(tenant_id, run_id, start, page, hook))
        return entries

    def _stored(self, tenant_id: str, run_id: str, seq: int, event: NewEvent, at: str) -> dict[str, Any]:
        data = dict(event.data)
        stored: dict[str, Any] = {"s": seq, "t": event.type, "at": at}
        if len(to_json(data).encode()) > self.payloads.inline_limit:
            stored["ref"] = self.payloads.dump(tenant_id, run_id, f"event-{seq}", data)
        else:
            stored["d"] = data
        return stored

    def _page_entry(
        self, tenant_id: str, run_id: str, first: int, page: list[dict[str, Any]], hook: bool
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            **keys.event(run_id, first),
            "tenant_id": tenant_id,
            "first": first,
            "last": first + len(page) - 1,
            "events": to_json(page),
        }
        if hook:
            item["hook"] = True
        return self.table.put_entry(item, condition="attribute_not_exists(PK)")

    def after(self, run_id: str, after: int, limit: int) -> list[EventRecord]:
        """Up to `limit` events of the run with sequence numbers above `after`, in order."""
        pk = keys.run_pk(run_id)
        items = self.table.query_page(
            "PK = :pk AND SK BETWEEN :lo AND :hi",
            {":pk": pk, ":lo": keys.event_sk(after + 1), ":hi": keys.event_sk(keys.MAX_SEQ)},
            limit=min(READ_PAGES, limit),
        ).items
        if not items or int(items[0]["first"]) != after + 1:
            # Event after+1 may sit inside an earlier page (a reader that stopped mid-page): the page
            # with the greatest first sequence number at or below it, at most PAGE_EVENTS - 1 back.
            containing = self.table.query_page(
                "PK = :pk AND SK BETWEEN :lo AND :hi",
                {
                    ":pk": pk,
                    ":lo": keys.event_sk(max(1, after + 2 - PAGE_EVENTS)),
                    ":hi": keys.event_sk(after),
                },
                newest_first=True,
                limit=1,
            ).items
            if containing and int(containing[0]["last"]) > after:
                items = containing + items
        events: list[EventRecord] = []
        for values in items:
            for event in self.from_page(run_id, values):
                if event.seq > after:
                    events.append(event)
                    if len(events) == limit:
                        return events
        return events

    def from_page(self, run_id: str, values: Mapping[str, Any]) -> list[EventRecord]:
        """The events of one page item (as a query or the table's stream returns it)."""
        return [
            EventRecord(
                seq=int(stored["s"]),
                run_id=run_id,
                type=str(stored["t"]),
                data=(self.payloads.load(stored["ref"]) if "ref" in stored else stored["d"]) or {},
                created_at=str(stored["at"]),
            )
            for stored in json.loads(str(values["events"]))
        ]

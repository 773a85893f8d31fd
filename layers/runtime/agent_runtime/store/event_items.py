"""Event items: `RUN#<run_id> / EVT#<seq>`, gap-free per run. They are written only inside a run's
commit (store/run_items.py), so a reader never sees a status without its event or a hole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent_runtime.store import keys
from agent_runtime.store.dynamo import Table
from agent_runtime.store.payloads import Payloads


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

    def put_entry(
        self, tenant_id: str, run_id: str, seq: int, event: NewEvent, created_at: str
    ) -> dict[str, Any]:
        """The transaction entry appending event `seq` (once: the sequence number is its key)."""
        item = {
            **keys.event(run_id, seq),
            "tenant_id": tenant_id,
            "seq": seq,
            "type": event.type,
            "data": self.payloads.dump(tenant_id, run_id, f"event-{seq}", dict(event.data)),
            "created_at": created_at,
        }
        return self.table.put_entry(item, condition="attribute_not_exists(PK)")

    def after(self, run_id: str, after: int, limit: int) -> list[EventRecord]:
        """Up to `limit` events of the run with sequence numbers above `after`, in order."""
        page = self.table.query_page(
            "PK = :pk AND SK BETWEEN :lo AND :hi",
            {":pk": keys.run_pk(run_id), ":lo": keys.event_sk(after + 1), ":hi": keys.event_sk(keys.MAX_SEQ)},
            limit=limit,
        )
        return [self.from_values(run_id, values) for values in page.items]

    def from_values(self, run_id: str, values: Mapping[str, Any]) -> EventRecord:
        return EventRecord(
            seq=int(values["seq"]),
            run_id=run_id,
            type=str(values["type"]),
            data=self.payloads.load(values.get("data")) or {},
            created_at=str(values["created_at"]),
        )

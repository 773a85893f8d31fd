"""Delivery items: `RUN#<run_id> / DLV#<seq>`, one per event of the run that triggers a webhook.

`generation` changes on every redelivery and `attempt_count` on every attempt: an update names both,
so a stale queue message or a duplicate attempt can never write over a newer state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from agent_runtime.clock import now_iso
from agent_runtime.store import keys, schema
from agent_runtime.store.dynamo import Table
from agent_runtime.store.errors import ConditionFailed
from agent_runtime.store.run_items import sweep_keys


@dataclass(frozen=True)
class DeliveryRecord:
    delivery_id: str
    run_id: str
    tenant_id: str
    seq: int
    event_type: str
    url: str
    payload: str  # the body, JSON text (or a claim-check reference)
    status: str  # pending | delivered | failed
    created_at: str
    updated_at: str
    give_up_at: float  # epoch seconds: retries stop after this
    attempts: str = "[]"  # JSON list, the most recent attempts
    attempt_count: int = 0
    generation: int = 1
    next_retry_at: str | None = None
    # The callback's own headers when the delivery was made (JSON object; never shown or logged).
    headers: str = field(default="{}", repr=False)


_FIELDS = frozenset(f.name for f in fields(DeliveryRecord))
PENDING = "pending"


def _sweep(record: DeliveryRecord) -> dict[str, str]:
    """A pending delivery is in the sweep index (its queue message may be lost); a settled one is not."""
    if record.status != PENDING:
        return {}
    return {schema.GSI_SWEEP.partition_key: keys.sweep(keys.SWEEP_DELIVERIES, record.run_id)}


def _stored(values: Mapping[str, Any]) -> dict[str, Any]:
    # Items hold no floats (store/dynamo.py): the give-up time is kept as text.
    return {k: str(v) if k == "give_up_at" else v for k, v in values.items()}


def _from(values: Mapping[str, Any]) -> DeliveryRecord:
    kept = {k: v for k, v in values.items() if k in _FIELDS}
    kept["give_up_at"] = float(kept["give_up_at"])
    return DeliveryRecord(**kept)


class DeliveryItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create(self, record: DeliveryRecord) -> bool:
        """Store a new delivery; False when it already exists (the stream record came again)."""
        try:
            self.table.put(
                {
                    **_stored(asdict(record)),
                    **keys.delivery(record.run_id, record.seq),
                    schema.INDEX_SORT_KEY: keys.created_key(record.created_at, record.delivery_id),
                    **_sweep(record),
                },
                condition="attribute_not_exists(PK)",
            )
            return True
        except ConditionFailed:
            return False

    def find(self, run_id: str, seq: int) -> DeliveryRecord | None:
        values = self.table.get(keys.delivery(run_id, seq))
        return _from(values) if values is not None else None

    def list_for_run(self, run_id: str, after: int, limit: int) -> list[DeliveryRecord]:
        page = self.table.query_page(
            "PK = :pk AND SK BETWEEN :lo AND :hi",
            {
                ":pk": keys.run_pk(run_id),
                ":lo": keys.delivery_sk(after + 1),
                ":hi": keys.delivery_sk(keys.MAX_SEQ),
            },
            limit=limit,
        )
        return [_from(values) for values in page.items]

    def update(self, current: DeliveryRecord, **changes: Any) -> DeliveryRecord | None:
        """Write `changes` if the delivery is still as `current` was (same attempt count and
        generation); None if something else changed it first."""
        new = replace(current, **changes, updated_at=now_iso())
        changed = _stored({k: getattr(new, k) for k in (*changes, "updated_at")})
        changed.update(_sweep(new))
        try:
            self.table.update(
                keys.delivery(current.run_id, current.seq),
                changed,
                condition="#n = :n AND #g = :g",
                names={"#n": "attempt_count", "#g": "generation"},
                values={":n": current.attempt_count, ":g": current.generation},
                remove=() if new.status == PENDING else (schema.GSI_SWEEP.partition_key,),
            )
        except ConditionFailed:
            return None
        return new

    def touch(self, current: DeliveryRecord, next_retry_at: str) -> DeliveryRecord | None:
        """Mark a pending delivery whose queue message is presumed lost as due now, if nothing has
        touched it since `current` was read (its updated_at too: of two sweeps, one wins)."""
        new = replace(current, next_retry_at=next_retry_at, updated_at=now_iso())
        try:
            self.table.update(
                keys.delivery(current.run_id, current.seq),
                {"next_retry_at": new.next_retry_at, "updated_at": new.updated_at},
                condition="#s = :pending AND #n = :n AND #g = :g AND #u = :u",
                names={"#s": "status", "#n": "attempt_count", "#g": "generation", "#u": "updated_at"},
                values={
                    ":pending": PENDING,
                    ":n": current.attempt_count,
                    ":g": current.generation,
                    ":u": current.updated_at,
                },
            )
        except ConditionFailed:
            return None
        return new

    def pending_keys(self, shard: str) -> Iterator[tuple[str, int]]:
        """(run_id, seq) of the pending deliveries in one sweep partition (eventually consistent)."""
        for item in sweep_keys(self.table, keys.SWEEP_DELIVERIES, shard):
            run_id = str(item[schema.PARTITION_KEY])[len(keys.RUN_PREFIX) :]
            yield run_id, int(str(item[schema.SORT_KEY])[len(keys.DELIVERY_PREFIX) :])

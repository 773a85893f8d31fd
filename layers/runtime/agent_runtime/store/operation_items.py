"""Operation items: a durable run's operations (engine/durable/), one item per checkpoint batch.

`RUN#<run_id> / DOP#<seq>` holds every operation that batch changed, as it was after the batch. A
run's operations are the fold of its batches in order; a batch is written once, under
`attribute_not_exists`, so the sequence number doubles as the checkpoint token: two writers of the same
next batch can't both win. One small put per checkpoint call (not a transaction, not an item per
operation) is what keeps a durable operation at about one write unit (docs/cost.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agent_runtime.store import keys
from agent_runtime.store.dynamo import Table
from agent_runtime.store.errors import ConditionFailed
from agent_runtime.store.payloads import Payloads


class BatchTaken(Exception):
    """Another writer stored batch `seq` first: the caller's view (its token) is stale."""


@dataclass(frozen=True)
class Batch:
    seq: int
    operations: list[dict[str, Any]]
    size: int  # the item's stored size in bytes (what a read of it is billed by)


class OperationItems:
    def __init__(self, table: Table, payloads: Payloads) -> None:
        self.table = table
        self.payloads = payloads

    def append(self, tenant_id: str, run_id: str, seq: int, operations: Sequence[Mapping[str, Any]]) -> None:
        """Store batch `seq`. A write whose first try timed out but landed is recognised by its writer
        mark and counts as done; anyone else's batch there raises BatchTaken."""
        writer = uuid.uuid4().hex
        body = self.payloads.dump(tenant_id, run_id, f"operations-{seq}", list(operations))
        item = {**keys.operations(run_id, seq), "tenant_id": tenant_id, "ops": body, "writer": writer}
        try:
            self.table.put(item, condition="attribute_not_exists(PK)")
        except ConditionFailed as taken:
            stored = self.table.get(keys.operations(run_id, seq))
            if stored is None or stored.get("writer") != writer:
                raise BatchTaken(f"batch {seq} of run {run_id} was written by another invocation") from taken

    def load(self, run_id: str) -> list[Batch]:
        items = self.table.query_all(
            "PK = :pk AND begins_with(SK, :prefix)",
            {":pk": keys.run_pk(run_id), ":prefix": keys.OPERATIONS_PREFIX},
        )
        return [
            Batch(
                int(item["SK"][len(keys.OPERATIONS_PREFIX) :]),
                list(self.payloads.load(item["ops"])),
                len(item["ops"]) + len(item["SK"]) + 80,
            )
            for item in items
        ]

"""Checkpoint items: `RUN#<run_id> / CKPT#<checkpoint_id>`, in the tenant's inbox index by status.

The task token that resumes the state machine is stored here and leaves the store only for Step
Functions: no endpoint returns it and nothing logs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from agent_runtime.store import keys, schema
from agent_runtime.store.dynamo import Table
from agent_runtime.store.errors import ConditionFailed, ItemNotFound
from agent_runtime.store.run_items import index_cursor, list_index

PENDING = "pending"


@dataclass(frozen=True)
class CheckpointRecord:
    run_id: str
    tenant_id: str
    checkpoint_id: str
    name: str
    type: str
    status: str  # pending | resolved | expired | cancelled
    prompt: str
    payload: str  # JSON or claim-check reference
    response_schema: str
    assignee: str | None
    timeout_seconds: int | None
    expires_at: str | None
    on_timeout: str
    default: str | None
    workflow_name: str
    workflow_version: str
    created_at: str
    resolved_at: str | None = None
    resolution: str | None = None  # JSON or claim-check reference
    task_token: str | None = None
    # A durable run's callback (engine/durable/stack.py): answering it wakes the run (lifecycle.wake)
    # instead of sending a task token of its own.
    wakes_run: bool = False
    # Its deadline is its callback's heartbeat timeout (the callback then times out "on heartbeat").
    heartbeat_deadline: bool = False


_FIELDS = frozenset(f.name for f in fields(CheckpointRecord))


def _from(values: Mapping[str, Any]) -> CheckpointRecord:
    return CheckpointRecord(**{k: v for k, v in values.items() if k in _FIELDS})


class CheckpointItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def put_entry(self, record: CheckpointRecord) -> dict[str, Any]:
        """The transaction entry creating a checkpoint (once: a replayed step finds the existing one)."""
        item = {
            **asdict(record),
            **keys.checkpoint(record.run_id, record.checkpoint_id),
            schema.GSI_TENANT.partition_key: keys.tenant_inbox(record.tenant_id, record.status),
            schema.INDEX_SORT_KEY: keys.created_key(record.created_at, record.run_id, record.checkpoint_id),
        }
        return self.table.put_entry(item, condition="attribute_not_exists(PK)")

    def transition_entry(
        self, record: CheckpointRecord, status: str, at: str, stored_resolution: str | None
    ) -> dict[str, Any]:
        """The transaction entry moving a pending checkpoint to `status`, exactly once."""
        return self.table.update_entry(
            keys.checkpoint(record.run_id, record.checkpoint_id),
            {
                "status": status,
                "resolved_at": at,
                schema.GSI_TENANT.partition_key: keys.tenant_inbox(record.tenant_id, status),
                "resolution": stored_resolution,
            },
            condition="#status = :pending",
            names={"#status": "status"},
            values={":pending": PENDING},
        )

    def assign_entry(self, record: CheckpointRecord, assignee: str | None) -> dict[str, Any]:
        """The transaction entry giving a pending checkpoint to `assignee` (None: to nobody), only if it
        is still pending and still has the assignee `record` was read with: a claim or reassign made
        meanwhile is never overwritten unseen."""
        if record.assignee is None:
            unchanged = "(attribute_not_exists(assignee) OR attribute_type(assignee, :null_type))"
            values: dict[str, Any] = {":pending": PENDING, ":null_type": "NULL"}
        else:
            unchanged = "assignee = :was"
            values = {":pending": PENDING, ":was": record.assignee}
        return self.table.update_entry(
            keys.checkpoint(record.run_id, record.checkpoint_id),
            {"assignee": assignee},
            condition=f"#status = :pending AND {unchanged}",
            names={"#status": "status"},
            values=values,
        )

    def get(self, run_id: str, checkpoint_id: str) -> CheckpointRecord:
        values = self.table.get(keys.checkpoint(run_id, checkpoint_id))
        if values is None:
            raise ItemNotFound(f"checkpoint {checkpoint_id!r} of run {run_id!r} does not exist")
        return _from(values)

    def find(self, run_id: str, checkpoint_id: str) -> CheckpointRecord | None:
        try:
            return self.get(run_id, checkpoint_id)
        except ItemNotFound:
            return None

    def list_for_run(self, run_id: str) -> list[CheckpointRecord]:
        items = self.table.query_all(
            "PK = :pk AND begins_with(SK, :prefix)",
            {":pk": keys.run_pk(run_id), ":prefix": keys.CHECKPOINT_PREFIX},
        )
        return sorted((_from(values) for values in items), key=lambda r: r.created_at)

    def store_task_token(self, record: CheckpointRecord, task_token: str) -> bool:
        """Attach the state machine's task token while the checkpoint is pending. False if it is not."""
        try:
            self.table.update(
                keys.checkpoint(record.run_id, record.checkpoint_id),
                {"task_token": task_token},
                condition="#status = :pending",
                names={"#status": "status"},
                values={":pending": PENDING},
            )
            return True
        except ConditionFailed:
            return False

    def inbox(
        self, tenant_id: str, status: str, assignee: str | None, limit: int, cursor: str | None
    ) -> tuple[list[CheckpointRecord], str | None]:
        """The tenant's checkpoints in one status, oldest first (what waits longest comes first)."""
        items, next_cursor = list_index(
            self.table,
            schema.GSI_TENANT,
            keys.tenant_inbox(tenant_id, status),
            limit=limit,
            cursor=cursor,
            filter_expression="assignee = :assignee" if assignee else None,
            filter_values={":assignee": assignee} if assignee else None,
        )
        return [_from(item) for item in items], next_cursor

    def inbox_cursor_after(self, record: CheckpointRecord) -> str:
        """The inbox cursor that goes on right after `record` (as LastEvaluatedKey would be)."""
        return index_cursor(
            keys.checkpoint(record.run_id, record.checkpoint_id),
            schema.GSI_TENANT,
            keys.tenant_inbox(record.tenant_id, record.status),
            record.created_at,
            record.run_id,
            record.checkpoint_id,
        )

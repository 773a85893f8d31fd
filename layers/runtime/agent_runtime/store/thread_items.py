"""Thread items: `THREAD#<tenant>#<id> / META` holds metadata, values, messages and the thread's
current run; `.../ STATE#<at>#<checkpoint>` is its history; `.../ RUN#<at>#<run_id>` lists its runs.
Clients choose thread ids, so each tenant has its own: one tenant can neither find nor take another's."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from agent_runtime.clock import now_iso
from agent_runtime.store import keys, schema
from agent_runtime.store.dynamo import Table
from agent_runtime.store.errors import ConditionFailed, ItemNotFound
from agent_runtime.store.payloads import Payloads, to_json


@dataclass(frozen=True)
class ThreadRecord:
    thread_id: str
    tenant_id: str
    metadata: str  # JSON
    values: str  # JSON or claim-check reference
    messages: str  # JSON or claim-check reference
    created_at: str
    updated_at: str
    current_run_id: str | None = None


@dataclass(frozen=True)
class ThreadState:
    """One entry of a thread's history."""

    checkpoint_id: str
    values: str  # JSON or claim-check reference
    messages: str
    metadata: str  # JSON
    created_at: str


_FIELDS = frozenset(f.name for f in fields(ThreadRecord))


def _from(values: Mapping[str, Any]) -> ThreadRecord:
    return ThreadRecord(**{k: v for k, v in values.items() if k in _FIELDS})


class ThreadItems:
    def __init__(self, table: Table, payloads: Payloads) -> None:
        self.table = table
        self.payloads = payloads

    def new(
        self,
        tenant_id: str,
        thread_id: str,
        metadata: Mapping[str, Any],
        values: Any = None,
        messages: Any = None,
    ) -> ThreadRecord:
        now = now_iso()
        return ThreadRecord(
            thread_id=thread_id,
            tenant_id=tenant_id,
            metadata=to_json(dict(metadata)),
            values=self.payloads.dump(tenant_id, thread_id, "thread-values", values),
            messages=self.payloads.dump(tenant_id, thread_id, "thread-messages", messages or []),
            created_at=now,
            updated_at=now,
        )

    def create(self, record: ThreadRecord) -> bool:
        """Store a new thread; False if one with that id exists already."""
        item = {
            **asdict(record),
            **keys.thread(record.tenant_id, record.thread_id),
            schema.GSI_TENANT.partition_key: keys.tenant_threads(record.tenant_id),
            schema.INDEX_SORT_KEY: keys.created_key(record.created_at, record.thread_id),
        }
        try:
            self.table.put(item, condition="attribute_not_exists(PK)")
            return True
        except ConditionFailed:
            return False

    def get(self, tenant_id: str, thread_id: str) -> ThreadRecord:
        values = self.table.get(keys.thread(tenant_id, thread_id))
        if values is None or values["tenant_id"] != tenant_id:
            raise ItemNotFound(f"thread {thread_id!r} does not exist")
        return _from(values)

    def list_for_tenant(self, tenant_id: str, max_items: int) -> list[ThreadRecord]:
        items = self.table.query_all(
            f"{schema.GSI_TENANT.partition_key} = :pk",
            {":pk": keys.tenant_threads(tenant_id)},
            index=schema.GSI_TENANT.name,
            newest_first=True,
        )
        return [_from(values) for values in itertools.islice(items, max_items)]

    def claim_entry(self, record: ThreadRecord, run_id: str) -> dict[str, Any]:
        """Transaction entry making `run_id` the thread's current run, if the current run is still the
        one the caller checked (so two runs can't both take an idle thread)."""
        values: dict[str, Any] = {}
        if record.current_run_id:
            condition = "attribute_exists(PK) AND current_run_id = :previous"
            values[":previous"] = record.current_run_id
        else:
            condition = (
                "attribute_exists(PK) AND "
                "(attribute_not_exists(current_run_id) OR attribute_type(current_run_id, :null))"
            )
            values[":null"] = "NULL"
        return self.table.update_entry(
            keys.thread(record.tenant_id, record.thread_id),
            {"current_run_id": run_id, "updated_at": now_iso()},
            condition=condition,
            values=values,
        )

    def run_pointer_entry(self, record: ThreadRecord, run_id: str, created_at: str) -> dict[str, Any]:
        item = {
            **keys.thread_run(record.tenant_id, record.thread_id, created_at, run_id),
            "tenant_id": record.tenant_id,
            "run_id": run_id,
        }
        return self.table.put_entry(item)

    def _newest_first(
        self, tenant_id: str, thread_id: str, prefix: str, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.table.query_all(
            "PK = :pk AND begins_with(SK, :prefix)",
            {":pk": keys.thread_pk(tenant_id, thread_id), ":prefix": prefix},
            newest_first=True,
            limit=page_size,
        )

    def run_ids(self, tenant_id: str, thread_id: str) -> list[str]:
        return [
            str(item["run_id"]) for item in self._newest_first(tenant_id, thread_id, keys.THREAD_RUN_PREFIX)
        ]

    def state_entries(
        self,
        record: ThreadRecord,
        checkpoint_id: str,
        values: Any,
        messages: Any,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Transaction entries writing a new state of the thread (values and messages) and its
        history entry. The thread must still exist."""
        now = now_iso()
        stored_values = self.payloads.dump(
            record.tenant_id, record.thread_id, f"values-{checkpoint_id}", values
        )
        stored_messages = self.payloads.dump(
            record.tenant_id, record.thread_id, f"messages-{checkpoint_id}", messages
        )
        update = self.table.update_entry(
            keys.thread(record.tenant_id, record.thread_id),
            {"values": stored_values, "messages": stored_messages, "updated_at": now},
            condition="attribute_exists(PK)",
        )
        history = {
            **keys.thread_state(record.tenant_id, record.thread_id, now, checkpoint_id),
            "tenant_id": record.tenant_id,
            "checkpoint_id": checkpoint_id,
            "values": stored_values,
            "messages": stored_messages,
            "metadata": to_json(dict(metadata or {})),
            "created_at": now,
        }
        return [update, self.table.put_entry(history)]

    def history(self, tenant_id: str, thread_id: str, limit: int) -> list[ThreadState]:
        items = self._newest_first(tenant_id, thread_id, keys.THREAD_STATE_PREFIX, page_size=limit)
        return [
            ThreadState(
                str(item["checkpoint_id"]),
                str(item["values"]),
                str(item["messages"]),
                str(item["metadata"]),
                str(item["created_at"]),
            )
            for item in itertools.islice(items, limit)
        ]

    def update_metadata(self, record: ThreadRecord, metadata_json: str, at: str) -> None:
        self.table.update(
            keys.thread(record.tenant_id, record.thread_id),
            {"metadata": metadata_json, "updated_at": at},
            condition="attribute_exists(PK)",
        )

    def delete(self, tenant_id: str, thread_id: str) -> None:
        """Delete the thread and its history and run pointers (not the runs themselves)."""
        self.table.delete_partition(keys.thread_pk(tenant_id, thread_id))

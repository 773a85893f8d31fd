"""Threads: conversation state (values, messages, metadata, history) carried across the runs made on
them. An engine concept because more than one protocol has it (ACP threads, A2A contexts): a run on a
thread sees the thread's state in its step context, and its output becomes the thread's new state.
A thread's status is derived from its current run, so the two can never disagree."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agent_runtime.clock import now_iso
from agent_runtime.engine.model import ACTIVE_STATUSES, Thread, ThreadSnapshot
from agent_runtime.errors import Conflict, NotFound
from agent_runtime.store.errors import ItemNotFound
from agent_runtime.store.payloads import to_json
from agent_runtime.store.run_items import RunRecord
from agent_runtime.store.thread_items import ThreadRecord

if TYPE_CHECKING:
    from agent_runtime.engine.runs import OnThread
    from agent_runtime.store import Store

HISTORY_SEARCH_LIMIT = 1000


class ThreadBusy(Conflict):
    """The thread has an active run and the new run's policy is `reject`. Doors say it in their words
    (ACP: its `multitask_strategy`)."""


class Threads:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.items = store.threads

    def record(self, tenant_id: str, thread_id: str) -> ThreadRecord:
        try:
            return self.items.get(tenant_id, thread_id)
        except ItemNotFound as missing:
            raise NotFound(f"thread {thread_id!r} does not exist") from missing

    def view(self, record: ThreadRecord) -> Thread:
        status = None
        if record.current_run_id:
            try:
                status = self.store.runs.get(record.current_run_id).status
            except ItemNotFound:
                status = None  # deleted since: the thread is idle
        return Thread.of(record, self.store.payloads, status)

    def create(
        self, tenant_id: str, thread_id: str | None, metadata: Mapping[str, Any], if_exists: str
    ) -> Thread:
        """A new thread (a UUID unless the client names it). `if_exists`: raise (409) or return it."""
        record = self.items.new(tenant_id, thread_id or str(uuid.uuid4()), metadata)
        if not self.items.create(record):
            if if_exists == "raise":
                raise Conflict(f"thread {record.thread_id!r} already exists")
            return self.get(tenant_id, record.thread_id)
        return self.view(record)

    def get(self, tenant_id: str, thread_id: str) -> Thread:
        return self.view(self.record(tenant_id, thread_id))

    def scan(self, tenant_id: str, max_threads: int) -> list[Thread]:
        """The tenant's threads, newest first (for searches that filter themselves)."""
        return [self.view(r) for r in self.items.list_for_tenant(tenant_id, max_threads)]

    def patch(
        self,
        tenant_id: str,
        thread_id: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        values: Any = None,
        messages: list[Any] | None = None,
        branch_from: str | None = None,
    ) -> Thread:
        """Merge metadata; write a new state from `values`/`messages`, based on the latest state or on
        the history entry `branch_from` names."""
        record = self.record(tenant_id, thread_id)
        if metadata:
            merged = to_json({**self.store.payloads.load(record.metadata), **metadata})
            self.items.update_metadata(record, merged, now_iso())
        if values is not None or messages is not None or branch_from is not None:
            base_values, base_messages = record.values, record.messages
            state_metadata: dict[str, Any] = {"source": "patch"}
            if branch_from is not None:
                state = next(
                    (
                        h
                        for h in self.items.history(tenant_id, thread_id, HISTORY_SEARCH_LIMIT)
                        if h.checkpoint_id == branch_from
                    ),
                    None,
                )
                if state is None:
                    raise NotFound(f"thread {thread_id!r} has no checkpoint {branch_from!r}")
                base_values, base_messages = state.values, state.messages
                state_metadata["parent_checkpoint_id"] = branch_from
            new_values = values if values is not None else self.store.payloads.load(base_values)
            new_messages = messages if messages is not None else self.store.payloads.load(base_messages)
            # A new state gets a new checkpoint id (a UUID).
            self._write(
                self.items.state_entries(record, str(uuid.uuid4()), new_values, new_messages, state_metadata)
            )
        return self.get(tenant_id, thread_id)

    def _write(self, entries: list[dict[str, Any]]) -> None:
        if self.items.table.transact(entries) is not None:
            raise Conflict("the thread changed meanwhile; try again")

    def history(self, tenant_id: str, thread_id: str, limit: int) -> list[ThreadSnapshot]:
        """Its states, newest first."""
        self.record(tenant_id, thread_id)
        return [
            ThreadSnapshot.of(s, self.store.payloads) for s in self.items.history(tenant_id, thread_id, limit)
        ]

    def copy(self, tenant_id: str, thread_id: str) -> Thread:
        source = self.record(tenant_id, thread_id)
        clone = self.items.new(tenant_id, str(uuid.uuid4()), self.store.payloads.load(source.metadata))
        self.items.create(clone)
        values, messages = self.store.payloads.load(source.values), self.store.payloads.load(source.messages)
        self._write(
            self.items.state_entries(clone, str(uuid.uuid4()), values, messages, {"copied_from": thread_id})
        )
        return self.get(tenant_id, clone.thread_id)

    def delete(self, tenant_id: str, thread_id: str) -> None:
        """Delete the thread, its history and its run pointers (not the runs themselves)."""
        self.record(tenant_id, thread_id)
        self.items.delete(tenant_id, thread_id)

    def runs(self, tenant_id: str, thread_id: str, limit: int, offset: int) -> list[RunRecord]:
        """The thread's runs, newest first: `limit` of them after skipping `offset`."""
        self.record(tenant_id, thread_id)
        out: list[RunRecord] = []
        skipped = 0
        for run_id in self.items.run_ids(tenant_id, thread_id):
            if len(out) >= limit:
                break
            try:
                record = self.store.runs.get(run_id)
            except ItemNotFound:
                continue  # deleted since
            if skipped < offset:
                skipped += 1
                continue
            out.append(record)
        return out

    # -- runs on threads -------------------------------------------------------------------------
    def claimable(self, tenant_id: str, on_thread: OnThread) -> tuple[ThreadRecord, RunRecord | None]:
        """The thread a new run will claim (created if missing and asked to), and its active run if it
        has one (Runs applies the multitask policy to it)."""
        try:
            thread = self.items.get(tenant_id, on_thread.thread_id)
        except ItemNotFound:
            if not on_thread.create_if_missing:
                raise NotFound(f"thread {on_thread.thread_id!r} does not exist") from None
            self.items.create(self.items.new(tenant_id, on_thread.thread_id, {}))
            thread = self.record(tenant_id, on_thread.thread_id)
        if not thread.current_run_id:
            return thread, None
        try:
            current = self.store.runs.get(thread.current_run_id)
        except ItemNotFound:  # deleted since: the thread is idle
            return thread, None
        return thread, current if current.status in ACTIVE_STATUSES else None

    def context_of(self, run: RunRecord) -> dict[str, Any] | None:
        """What step code sees of the run's thread: {"thread_id", "values", "messages", "metadata"}."""
        if not run.thread_id:
            return None
        try:
            thread = self.items.get(run.tenant_id, run.thread_id)
        except ItemNotFound:
            return None
        payloads = self.store.payloads
        return {
            "thread_id": thread.thread_id,
            "values": payloads.load(thread.values),
            "messages": payloads.load(thread.messages),
            "metadata": payloads.load(thread.metadata),
        }

    def new_state_entries(self, run: RunRecord, output: Any) -> list[dict[str, Any]]:
        """A successful thread run becomes the thread's new state: its output as values, and the
        output's messages (when it has any) as the thread's messages."""
        if not run.thread_id:
            return []
        try:
            thread = self.items.get(run.tenant_id, run.thread_id)
        except ItemNotFound:
            return []
        messages = output.get("messages") if isinstance(output, dict) else None
        if not isinstance(messages, list):
            messages = self.store.payloads.load(thread.messages)
        return self.items.state_entries(thread, run.run_id, output, messages, {"run_id": run.run_id})

"""ACP threads: state (values, messages) that persists across the runs made on them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from agent_runtime.acp.models import ThreadCreate, ThreadPatch, ThreadSearchRequest
from agent_runtime.errors import Conflict, NotFound
from agent_runtime.runtime import budget
from agent_runtime.store import payloads
from agent_runtime.store import runs as run_store
from agent_runtime.store import threads as store
from agent_runtime.store.threads import ThreadRecord

THREAD_STATUS = {
    "queued": "busy",
    "running": "busy",
    "waiting_for_input": "interrupted",
    "failed": "error",
    "timed_out": "error",
}
SEARCH_SCAN_LIMIT = 1000


def status_of(record: ThreadRecord) -> str:
    if not record.current_run_id:
        return "idle"
    try:
        run = run_store.get(record.current_run_id, record.tenant_id)
    except NotFound:
        return "idle"
    return THREAD_STATUS.get(run.status, "idle")


def messages_view(messages: Any) -> list[dict[str, Any]]:
    """ACP Messages ({role, content}); workflows that speak {type, content} map type to role."""
    out = []
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and isinstance(message.get("content"), str | list):
            role = message.get("role") or message.get("type") or "assistant"
            out.append({"role": str(role), "content": message["content"]})
    return out


def view(record: ThreadRecord) -> dict[str, Any]:
    values = payloads.load(record.values)
    thread = {
        "thread_id": record.thread_id,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "metadata": json.loads(record.metadata),
        "status": status_of(record),
        "messages": messages_view(payloads.load(record.messages)),
    }
    if values is not None:
        thread["values"] = values
    return thread


def create(tenant_id: str, body: ThreadCreate) -> dict[str, Any]:
    record = store.new(tenant_id, body.thread_id or str(uuid.uuid4()), body.metadata or {})
    if not store.create(record):
        if body.if_exists == "raise":
            raise Conflict(f"thread {record.thread_id!r} already exists")
        return view(store.get(record.thread_id, tenant_id))
    return view(record)


def get(tenant_id: str, thread_id: str) -> dict[str, Any]:
    return view(store.get(thread_id, tenant_id))


def _contains(whole: Any, part: dict[str, Any] | None) -> bool:
    return not part or (isinstance(whole, dict) and all(whole.get(k) == v for k, v in part.items()))


def search(tenant_id: str, body: ThreadSearchRequest) -> list[dict[str, Any]]:
    found = []
    for record in store.list_for_tenant(tenant_id, SEARCH_SCAN_LIMIT):
        thread = view(record)
        if (
            _contains(thread["metadata"], body.metadata)
            and _contains(thread.get("values"), body.values)
            and (body.status is None or thread["status"] == body.status)
        ):
            found.append(thread)
    return budget.take(found[body.offset : body.offset + body.limit])  # the rest: a larger offset


def patch(tenant_id: str, thread_id: str, body: ThreadPatch) -> dict[str, Any]:
    record = store.get(thread_id, tenant_id)
    if body.metadata:
        record = store.update_metadata(record, body.metadata)
    if body.values is not None or body.messages is not None or body.checkpoint is not None:
        # The state to branch from: the checkpoint named (an entry of the history), else the latest.
        base_values, base_messages = record.values, record.messages
        metadata: dict[str, Any] = {"source": "patch"}
        if body.checkpoint is not None:
            parent = body.checkpoint.checkpoint_id
            state = next(
                (h for h in store.history(tenant_id, thread_id, 1000) if h["checkpoint_id"] == parent), None
            )
            if state is None:
                raise NotFound(f"thread {thread_id!r} has no checkpoint {parent!r}")
            base_values, base_messages = state["values"], state["messages"]
            metadata["parent_checkpoint_id"] = parent
        values = body.values if body.values is not None else payloads.load(base_values)
        messages = body.messages if body.messages is not None else payloads.load(base_messages)
        # A new state gets a new checkpoint id (a UUID, as ACP's ThreadCheckpoint says).
        store.transact(store.state_items(record, str(uuid.uuid4()), values, messages, metadata))
    return get(tenant_id, thread_id)


def history(tenant_id: str, thread_id: str, limit: int) -> list[dict[str, Any]]:
    store.get(thread_id, tenant_id)
    states = (
        {
            "checkpoint": {"checkpoint_id": state["checkpoint_id"]},
            "values": payloads.load(state["values"]),
            "messages": messages_view(payloads.load(state["messages"])),
            "metadata": json.loads(state["metadata"]),
        }
        for state in store.history(tenant_id, thread_id, limit)
    )
    return budget.take(states)  # newest first: as many as one response holds


def copy(tenant_id: str, thread_id: str) -> dict[str, Any]:
    source = store.get(thread_id, tenant_id)
    clone = store.new(tenant_id, str(uuid.uuid4()), json.loads(source.metadata))
    store.create(clone)
    values, messages = payloads.load(source.values), payloads.load(source.messages)
    store.transact(store.state_items(clone, str(uuid.uuid4()), values, messages, {"copied_from": thread_id}))
    return get(tenant_id, clone.thread_id)


def delete(tenant_id: str, thread_id: str) -> None:
    store.get(thread_id, tenant_id)
    store.delete(tenant_id, thread_id)

"""ACP threads as engine calls: state (values, messages) that persists across the runs made on them."""

from __future__ import annotations

from typing import Any

from agent_runtime.acp.models import ThreadCreate, ThreadPatch, ThreadSearchRequest
from agent_runtime.acp.views import acp_thread, thread_state
from agent_runtime.engine import Engine, budget

SEARCH_SCAN_LIMIT = 1000


def create(engine: Engine, tenant_id: str, body: ThreadCreate) -> dict[str, Any]:
    return acp_thread(engine.threads.create(tenant_id, body.thread_id, body.metadata or {}, body.if_exists))


def get(engine: Engine, tenant_id: str, thread_id: str) -> dict[str, Any]:
    return acp_thread(engine.threads.get(tenant_id, thread_id))


def _contains(whole: Any, part: dict[str, Any] | None) -> bool:
    return not part or (isinstance(whole, dict) and all(whole.get(k) == v for k, v in part.items()))


def search(engine: Engine, tenant_id: str, body: ThreadSearchRequest) -> list[dict[str, Any]]:
    found = []
    for thread in engine.threads.scan(tenant_id, SEARCH_SCAN_LIMIT):
        shaped = acp_thread(thread)
        if (
            _contains(shaped["metadata"], body.metadata)
            and _contains(shaped.get("values"), body.values)
            and (body.status is None or shaped["status"] == body.status)
        ):
            found.append(shaped)
    return budget.take(found[body.offset : body.offset + body.limit])  # the rest: a larger offset


def patch(engine: Engine, tenant_id: str, thread_id: str, body: ThreadPatch) -> dict[str, Any]:
    thread = engine.threads.patch(
        tenant_id,
        thread_id,
        metadata=body.metadata,
        values=body.values,
        messages=body.messages,
        branch_from=body.checkpoint.checkpoint_id if body.checkpoint is not None else None,
    )
    return acp_thread(thread)


def history(engine: Engine, tenant_id: str, thread_id: str, limit: int) -> list[dict[str, Any]]:
    """Newest first: as many as one response holds."""
    return budget.take(thread_state(s) for s in engine.threads.history(tenant_id, thread_id, limit))


def copy(engine: Engine, tenant_id: str, thread_id: str) -> dict[str, Any]:
    return acp_thread(engine.threads.copy(tenant_id, thread_id))


def delete(engine: Engine, tenant_id: str, thread_id: str) -> None:
    engine.threads.delete(tenant_id, thread_id)

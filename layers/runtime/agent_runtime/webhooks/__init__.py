"""Webhooks: signed, retried, observable callbacks for runs' status changes.

stream (event items = the outbox) -> dispatch.py -> SQS -> sender.py -> HTTP POST to the callback URL.
"""

from __future__ import annotations

from typing import Any

from agent_runtime.store import runs as run_store
from agent_runtime.webhooks import deliveries


def list_for_run(tenant_id: str, run_id: str, after: int, limit: int) -> dict[str, Any]:
    run_store.get(run_id, tenant_id)  # 404 for other tenants' runs
    records = deliveries.list_for_run(run_id, after, limit + 1)
    page = records[:limit]
    next_cursor = str(page[-1].seq) if len(records) > limit else None
    return {"data": [r.public() for r in page], "next_cursor": next_cursor}

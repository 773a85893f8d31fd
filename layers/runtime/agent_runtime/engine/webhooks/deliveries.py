"""A run's webhook deliveries as clients see them: listing, and sending one again."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from agent_runtime.clock import now_iso
from agent_runtime.engine.model import Delivery, Page
from agent_runtime.engine.webhooks.signing import SigningSecrets
from agent_runtime.errors import Conflict, NotFound

if TYPE_CHECKING:
    from agent_runtime.clock import Clock
    from agent_runtime.engine.runs import Runs
    from agent_runtime.engine.webhooks.queue import WebhookQueue
    from agent_runtime.store import Store

DELIVERY_ID = re.compile(r"^dlv_([0-9a-f]{32})_([0-9]{1,12})$")
REDELIVER_ATTEMPTS = 5


def delivery_id(run_id: str, seq: int) -> str:
    """Derived from the run and the event's sequence number, so a stream record processed twice makes
    one delivery; it is also the `webhook-id` header, the same across retries and redeliveries."""
    return f"dlv_{uuid.UUID(run_id).hex}_{seq}"


def parse_delivery_id(value: str) -> tuple[str, int]:
    match = DELIVERY_ID.match(value)
    if not match:
        raise NotFound(f"delivery {value!r} does not exist")
    return str(uuid.UUID(match.group(1))), int(match.group(2))


class Deliveries:
    def __init__(
        self, store: Store, runs: Runs, queue: WebhookQueue, clock: Clock, *, retry_window_seconds: float
    ) -> None:
        self.items = store.deliveries
        self.secrets = SigningSecrets(store.secrets)
        self.runs = runs
        self.queue = queue
        self.clock = clock  # a delivery's retry window starts at its now()
        self.retry_window_seconds = retry_window_seconds

    def get(self, delivery: str, tenant_id: str | None) -> Delivery:
        run_id, seq = parse_delivery_id(delivery)
        record = self.items.find(run_id, seq)
        if record is None or (tenant_id is not None and record.tenant_id != tenant_id):
            raise NotFound(f"delivery {delivery!r} does not exist")
        return record

    def list_for_run(self, tenant_id: str, run_id: str, after: int, limit: int) -> Page:
        self.runs.record(tenant_id, run_id)  # 404 for other tenants' runs
        records = self.items.list_for_run(run_id, after, limit + 1)
        page = records[:limit]
        return Page(page, str(page[-1].seq) if len(records) > limit else None)

    def redeliver(self, tenant_id: str, delivery: str) -> Delivery:
        """Send a delivery again now, whatever its state, with a fresh retry window; same webhook-id."""
        for _ in range(REDELIVER_ATTEMPTS):
            current = self.get(delivery, tenant_id)
            updated = self.items.update(
                current,
                status="pending",
                generation=current.generation + 1,
                give_up_at=self.clock.now().timestamp() + self.retry_window_seconds,
                next_retry_at=now_iso(),
            )
            if updated is not None:
                self.queue.enqueue(updated)
                return updated
        raise Conflict(f"delivery {delivery} is being attempted right now; redeliver again")

    def rotate_secret(self, tenant_id: str) -> dict[str, Any]:
        return self.secrets.rotate(tenant_id)

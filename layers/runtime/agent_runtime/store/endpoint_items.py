"""Webhook endpoint health: `WEBHOOKENDPOINT#<tenant>#<sha256 of scheme://host:port> / BREAKER`, the
consecutive failed attempts to one endpoint and until when its circuit is open. Versioned: of two
attempts recording at once one wins and the other reads the item again and records on top of it (the
breaker, engine/webhooks/breaker.py). Expires (TTL) a day after its last failure."""

from __future__ import annotations

from dataclasses import dataclass

from agent_runtime.store import keys, schema
from agent_runtime.store.dynamo import Table
from agent_runtime.store.errors import ConditionFailed

KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class EndpointHealth:
    failures: int  # consecutive failed attempts
    open_until: float  # epoch seconds; no attempt before it
    version: int


HEALTHY = EndpointHealth(0, 0.0, 0)


class EndpointItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, endpoint: str, *, consistent: bool = False) -> EndpointHealth:
        values = self.table.get(keys.webhook_endpoint(tenant_id, endpoint), consistent=consistent)
        if values is None:
            return HEALTHY
        return EndpointHealth(int(values["failures"]), float(values["open_until"]), int(values["version"]))

    def put(
        self, tenant_id: str, endpoint: str, health: EndpointHealth, seen: EndpointHealth, now: float
    ) -> bool:
        """Store `health` if the item is still `seen`; False if another attempt recorded first."""
        item = {
            **keys.webhook_endpoint(tenant_id, endpoint),
            "tenant_id": tenant_id,
            "endpoint": endpoint,
            "failures": health.failures,
            "open_until": str(health.open_until),  # items hold no floats (store/dynamo.py)
            "version": seen.version + 1,
            schema.TTL_ATTRIBUTE: int(now) + KEEP_SECONDS,
        }
        try:
            if seen.version == 0:
                self.table.put(item, condition="attribute_not_exists(PK)")
            else:
                self.table.put(item, condition="version = :v", values={":v": seen.version})
            return True
        except ConditionFailed:
            return False

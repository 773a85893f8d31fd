"""Webhook signing secrets: `WEBHOOKSECRET#<tenant> / SECRET`, versioned so rotations never race."""

from __future__ import annotations

from dataclasses import dataclass

from agent_runtime.store import keys
from agent_runtime.store.dynamo import Table
from agent_runtime.store.errors import ConditionFailed


@dataclass(frozen=True)
class SecretRecord:
    secret: str
    previous_secret: str | None
    previous_expires_at: int | None  # epoch seconds
    rotated_at: str
    version: int


class SecretItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str) -> SecretRecord | None:
        values = self.table.get(keys.webhook_secret(tenant_id))
        if values is None:
            return None
        return SecretRecord(
            values["secret"],
            values.get("previous_secret"),
            values.get("previous_expires_at"),
            values["rotated_at"],
            values["version"],
        )

    def put(self, tenant_id: str, record: SecretRecord, replacing: SecretRecord | None) -> bool:
        """Store `record` if the tenant's secret is still `replacing` (None: has none). False if not."""
        item = {**keys.webhook_secret(tenant_id), "tenant_id": tenant_id, **record.__dict__}
        try:
            if replacing is None:
                self.table.put(item, condition="attribute_not_exists(PK)")
            else:
                self.table.put(item, condition="version = :v", values={":v": replacing.version})
            return True
        except ConditionFailed:
            return False

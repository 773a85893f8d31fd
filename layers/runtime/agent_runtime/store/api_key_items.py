"""API keys: `APIKEY#<sha256 of the key> / APIKEY` -> the tenant and principal it acts for. The key
itself is never stored."""

from __future__ import annotations

from dataclasses import dataclass

from agent_runtime.clock import now_iso
from agent_runtime.store import keys
from agent_runtime.store.dynamo import Table


@dataclass(frozen=True)
class ApiKeyRecord:
    tenant_id: str
    principal: str


class ApiKeyItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create(self, key: str, record: ApiKeyRecord) -> None:
        item = {
            **keys.api_key(key),
            "tenant_id": record.tenant_id,
            "principal": record.principal,
            "created_at": now_iso(),
        }
        self.table.put(item, condition="attribute_not_exists(PK)")

    def find(self, key: str) -> ApiKeyRecord | None:
        values = self.table.get(keys.api_key(key))
        if values is None:
            return None
        return ApiKeyRecord(str(values["tenant_id"]), str(values["principal"]))

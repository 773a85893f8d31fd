"""API keys: `APIKEY#<sha256 of the key> / APIKEY` -> the tenant and principal it acts for. The key
itself is never stored. Each key is also in the index partition `APIKEYS` (gsi1), so operators can list
and revoke keys by their id, the first 16 hex digits of that hash."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agent_runtime.clock import now_iso
from agent_runtime.store import keys, schema
from agent_runtime.store.dynamo import Table

KEY_ID_LENGTH = 16


@dataclass(frozen=True)
class ApiKeyRecord:
    tenant_id: str
    principal: str


@dataclass(frozen=True)
class ApiKeyInfo:
    """What can be shown about a key: never the key, nor its whole hash."""

    key_id: str
    tenant_id: str
    principal: str
    created_at: str


class ApiKeyItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create(self, key: str, record: ApiKeyRecord) -> ApiKeyInfo:
        created_at = now_iso()
        key_hash = keys.api_key_hash(key)
        item = {
            **keys.api_key(key),
            "tenant_id": record.tenant_id,
            "principal": record.principal,
            "created_at": created_at,
            schema.GSI_TENANT.partition_key: keys.api_keys(),
            schema.INDEX_SORT_KEY: keys.created_key(created_at, key_hash),
        }
        self.table.put(item, condition="attribute_not_exists(PK)")
        return ApiKeyInfo(key_hash[:KEY_ID_LENGTH], record.tenant_id, record.principal, created_at)

    def find(self, key: str) -> ApiKeyRecord | None:
        values = self.table.get(keys.api_key(key))
        if values is None:
            return None
        return ApiKeyRecord(str(values["tenant_id"]), str(values["principal"]))

    def list(self) -> list[ApiKeyInfo]:
        """Every listed key, newest first."""
        return [_info(item) for item in self._listed()]

    def delete(self, key_hash: str) -> ApiKeyInfo | None:
        """Remove the key with this whole hash; what it was, or None if there was no such key."""
        values = self.table.get(keys.api_key_by_hash(key_hash))
        if values is None:
            return None
        self.table.delete(keys.api_key_by_hash(key_hash))
        return _info(values)

    def delete_by_id(self, key_id: str) -> ApiKeyInfo | None:
        """Remove the one listed key whose id starts with `key_id`; None if none or several do."""
        hashes = [
            str(item["PK"]).removeprefix("APIKEY#")
            for item in self._listed()
            if str(item["PK"]).removeprefix("APIKEY#").startswith(key_id)
        ]
        return self.delete(hashes[0]) if len(hashes) == 1 else None

    def _listed(self) -> Iterator[dict[str, Any]]:
        return self.table.query_all(
            f"{schema.GSI_TENANT.partition_key} = :p",
            {":p": keys.api_keys()},
            index=schema.GSI_TENANT.name,
            newest_first=True,
        )


def _info(item: dict[str, Any]) -> ApiKeyInfo:
    key_hash = str(item["PK"]).removeprefix("APIKEY#")
    return ApiKeyInfo(
        key_hash[:KEY_ID_LENGTH],
        str(item["tenant_id"]),
        str(item["principal"]),
        str(item.get("created_at", "")),
    )

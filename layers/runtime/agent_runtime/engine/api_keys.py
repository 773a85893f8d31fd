"""API keys -> tenants. A key is shown once, when created; only its SHA-256 is stored. Operators list
keys by their id (the first 16 hex digits of that hash) and revoke them by id or by the key itself."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from agent_runtime.errors import ValidationFailed
from agent_runtime.store import keys
from agent_runtime.store.api_key_items import ApiKeyInfo, ApiKeyRecord

if TYPE_CHECKING:
    from agent_runtime.engine import Engine

KEY_PREFIX = "ar_"
MAX_KEY_LENGTH = 256
TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_KEY_ID_LENGTH = 8


class ApiKeys:
    def __init__(self, engine: Engine) -> None:
        self.items = engine.store.api_keys

    def create(self, tenant_id: str, principal: str | None = None) -> str:
        return self.issue(tenant_id, principal)[0]

    def issue(self, tenant_id: str, principal: str | None = None) -> tuple[str, ApiKeyInfo]:
        """A new key for the tenant, and what can be shown about it later."""
        if not TENANT_ID.match(tenant_id):
            # Tenant ids are parts of keys (`TENANT#<t>#...`, `IDEM#<t>#<key>`): a `#` in one could
            # name another tenant's items.
            raise ValidationFailed(
                f"tenant id {tenant_id[:80]!r} is not valid",
                errors=[
                    {
                        "field": "tenant",
                        "message": "1-64 letters, digits, _ . - (starting with a letter or digit)",
                    }
                ],
            )
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        info = self.items.create(key, ApiKeyRecord(tenant_id, principal or f"key:{tenant_id}"))
        return key, info

    def authenticate(self, key: str | None) -> ApiKeyRecord | None:
        """The tenant and principal a key acts for; None for a missing, malformed or unknown key."""
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        return self.items.find(key)

    def list(self, tenant_id: str | None = None) -> list[ApiKeyInfo]:
        """The keys (of one tenant, if given), newest first."""
        return [k for k in self.items.list() if tenant_id is None or k.tenant_id == tenant_id]

    def revoke(self, key_or_id: str) -> ApiKeyInfo | None:
        """Delete a key, named by itself (`ar_...`) or by its id; what it was, None if there is none.
        A key stops authenticating at once (the API's authorizer does not cache)."""
        if key_or_id.startswith(KEY_PREFIX):
            return self.items.delete(keys.api_key_hash(key_or_id))
        key_id = key_or_id.lower()
        if len(key_id) < MIN_KEY_ID_LENGTH:  # a shorter prefix could name several keys
            return None
        return self.items.delete_by_id(key_id)

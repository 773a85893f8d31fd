"""API keys -> tenants. A key is shown once, when created; only its SHA-256 is stored."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from agent_runtime.store.api_key_items import ApiKeyRecord

if TYPE_CHECKING:
    from agent_runtime.engine import Engine

KEY_PREFIX = "ar_"
MAX_KEY_LENGTH = 256


class ApiKeys:
    def __init__(self, engine: Engine) -> None:
        self.items = engine.store.api_keys

    def create(self, tenant_id: str, principal: str | None = None) -> str:
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.items.create(key, ApiKeyRecord(tenant_id, principal or f"key:{tenant_id}"))
        return key

    def authenticate(self, key: str | None) -> ApiKeyRecord | None:
        """The tenant and principal a key acts for; None for a missing, malformed or unknown key."""
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        return self.items.find(key)

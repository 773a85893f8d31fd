"""API keys -> tenants. A key is shown once, when created; only its SHA-256 is stored. Operators list
keys by their id (the first 16 hex digits of that hash) and revoke them by id or by the key itself.

In the cloud each tenant also has a usage key: an API Gateway API key in the stack's usage plan, which
throttles each tenant to manifest.TENANT_THROTTLE (docs/decisions.md 62). Its value is derived from the
tenant id (usage_key), so the authorizer names it without a read; it is not a secret (clients never
send it: the API takes keys from the authorizer). Issuing a key puts the tenant's usage key in the plan
when the usage plan (USAGE_PLAN_ID) is set; sync_usage_plan backfills tenants whose keys predate the plan."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

from agent_runtime import aws
from agent_runtime.errors import ValidationFailed
from agent_runtime.store import keys
from agent_runtime.store.api_key_items import ApiKeyInfo, ApiKeyRecord

if TYPE_CHECKING:
    from agent_runtime.store.api_key_items import ApiKeyItems

KEY_PREFIX = "ar_"
MAX_KEY_LENGTH = 256
TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Who holds a key: shown in listings and logs, so printable text only (no CR/LF to forge a log line).
PRINCIPAL = re.compile(r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]{1,200}$")
MIN_KEY_ID_LENGTH = 8
USAGE_KEY_PREFIX = "tenant-"


def usage_key(tenant_id: str) -> str:
    """The value of the tenant's API Gateway usage key (20-128 characters, as API Gateway requires)."""
    return USAGE_KEY_PREFIX + hashlib.sha256(tenant_id.encode()).hexdigest()[:40]


class UsagePlan:
    """The stack's API Gateway usage plan: one API key per tenant in it, named after the tenant."""

    def __init__(self, plan_id: str) -> None:
        self.plan_id = plan_id
        self.client: Any = aws.apigateway()

    def ensure(self, tenant_id: str) -> bool:
        """Put the tenant's usage key in the plan, creating the API key if needed; idempotent. True if
        anything was created."""
        value = usage_key(tenant_id)
        pages = self.client.get_paginator("get_usage_plan_keys").paginate(
            usagePlanId=self.plan_id, nameQuery=tenant_id
        )
        if any(item.get("value") == value for page in pages for item in page.get("items", [])):
            return False
        conflict = self.client.exceptions.ConflictException
        try:
            key_id = self.client.create_api_key(
                name=tenant_id,
                value=value,
                enabled=True,
                description=f"agent-runtime usage key of tenant {tenant_id} (not a credential)",
            )["id"]
        except conflict:  # the API key exists, outside the plan
            key_id = self._key_id(tenant_id, value)
        with contextlib.suppress(conflict):  # added meanwhile
            self.client.create_usage_plan_key(usagePlanId=self.plan_id, keyId=key_id, keyType="API_KEY")
        return True

    def _key_id(self, tenant_id: str, value: str) -> str:
        pages = self.client.get_paginator("get_api_keys").paginate(nameQuery=tenant_id, includeValues=True)
        for page in pages:
            for item in page.get("items", []):
                if item.get("value") == value:
                    return str(item["id"])
        raise LookupError(f"API Gateway refused usage key {value} of {tenant_id} but has no such key")


class ApiKeys:
    def __init__(self, items: ApiKeyItems, *, usage_plan_id: str) -> None:
        self.items = items
        # The stack's API Gateway usage plan (USAGE_PLAN_ID); empty: none (the local stack).
        self.usage_plan_id = usage_plan_id

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
        if principal is not None and not PRINCIPAL.match(principal):
            raise ValidationFailed(
                "principal is not valid",
                errors=[{"field": "principal", "message": "1-200 characters, no control characters"}],
            )
        # First the usage key: a key stored without one would be refused (403) by the cloud API.
        if self.usage_plan_id:
            UsagePlan(self.usage_plan_id).ensure(tenant_id)
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

    def sync_usage_plan(self) -> tuple[str, ...]:
        """Put the usage key of every tenant that has keys in the usage plan (keys issued before the
        plan, or without USAGE_PLAN_ID set); the tenants whose usage key was added."""
        plan_id = self.usage_plan_id
        if not plan_id:
            raise ValueError("no usage plan: set USAGE_PLAN_ID (the stack's UsagePlanId output)")
        plan = UsagePlan(plan_id)
        return tuple(t for t in sorted({k.tenant_id for k in self.items.list()}) if plan.ensure(t))

    def revoke(self, key_or_id: str) -> ApiKeyInfo | None:
        """Delete a key, named by itself (`ar_...`) or by its id; what it was, None if there is none.
        The cloud API's authorizers cache a key's answer up to 5 minutes on v1 and ACP routes
        (docs/decisions.md 60): a revoked key works that long there, and stops at once elsewhere."""
        if key_or_id.startswith(KEY_PREFIX):
            return self.items.delete(keys.api_key_hash(key_or_id))
        key_id = key_or_id.lower()
        if len(key_id) < MIN_KEY_ID_LENGTH:  # a shorter prefix could name several keys
            return None
        return self.items.delete_by_id(key_id)

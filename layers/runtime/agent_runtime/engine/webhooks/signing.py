"""Per-tenant signing secrets (Standard Webhooks: `whsec_` + base64 of 32 random bytes).

The current secret signs every delivery; after a rotation the previous one signs too for 24 h, so
receivers can switch secrets at their own pace. A tenant's secret is created at its first delivery if
it has none; the only way to read one is to rotate (the new secret is returned once). Never logged.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from typing import Any

from agent_runtime.clock import epoch_seconds, now_iso
from agent_runtime.store.secret_items import SecretItems, SecretRecord

PREFIX = "whsec_"
OVERLAP_SECONDS = 24 * 3600
ROTATE_ATTEMPTS = 5


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def active(record: SecretRecord, now: int | None = None) -> list[str]:
    """The secrets to sign with: the current one, and the previous one during the overlap."""
    now = epoch_seconds() if now is None else now
    if record.previous_secret and record.previous_expires_at and now < record.previous_expires_at:
        return [record.secret, record.previous_secret]
    return [record.secret]


class SigningSecrets:
    def __init__(self, items: SecretItems) -> None:
        self.items = items

    def for_tenant(self, tenant_id: str) -> SecretRecord:
        """The tenant's secrets, created now if it has none (the first writer wins a race)."""
        existing = self.items.get(tenant_id)
        if existing is not None:
            return existing
        created = SecretRecord(new_secret(), None, None, now_iso(), 1)
        if self.items.put(tenant_id, created, None):
            return created
        raced = self.items.get(tenant_id)
        assert raced is not None
        return raced

    def rotate(self, tenant_id: str) -> dict[str, Any]:
        """Make a new current secret; the old one keeps signing (a second signature) for 24 h.
        Returns the new secret: the only time it is shown."""
        for _ in range(ROTATE_ATTEMPTS):
            old = self.items.get(tenant_id)
            expires = epoch_seconds() + OVERLAP_SECONDS if old else None
            record = SecretRecord(
                new_secret(), old.secret if old else None, expires, now_iso(), (old.version + 1) if old else 1
            )
            if not self.items.put(tenant_id, record, old):
                continue  # rotated concurrently: rotate on top of that one
            previous_expires_at = (
                datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z") if expires else None
            )
            return {
                "secret": record.secret,
                "rotated_at": record.rotated_at,
                "previous_secret_expires_at": previous_expires_at,
            }
        raise RuntimeError("could not rotate the webhook secret: contention")

"""Per-tenant signing secrets: `WEBHOOKSECRET#<tenant> / SECRET`.

The item holds the current secret (`whsec_` + base64 of 32 random bytes, as the Standard Webhooks
spec describes) and, after a rotation, the previous one until `previous_expires_at` (24 h): during
that overlap deliveries carry both signatures, so receivers can switch secrets at their own pace.
A tenant's secret is created at its first delivery if it has none; the only way to read one is to
rotate (`POST /v1/webhook-secret/rotate` returns the new secret once). Secrets are never logged.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from agent_runtime import aws
from agent_runtime.clock import epoch_seconds, now_iso
from agent_runtime.config import settings
from agent_runtime.store import keys
from agent_runtime.store.attrs import from_item, to_attr, to_item

SK = "SECRET"
PREFIX = "whsec_"
OVERLAP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SigningSecrets:
    current: str
    previous: str | None
    previous_expires_at: int | None
    rotated_at: str

    def active(self, now: int | None = None) -> list[str]:
        """The secrets to sign with: the current one, and the previous one during the overlap."""
        now = epoch_seconds() if now is None else now
        if self.previous and self.previous_expires_at and now < self.previous_expires_at:
            return [self.current, self.previous]
        return [self.current]


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(tenant_id: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": keys.webhook_secret_pk(tenant_id)}, "SK": {"S": SK}}


def _read(tenant_id: str) -> SigningSecrets | None:
    response = aws.dynamodb().get_item(
        TableName=settings().table_name,
        Key=_key(tenant_id),
        ConsistentRead=True,
    )
    if "Item" not in response:
        return None
    values = from_item(response["Item"])
    return SigningSecrets(
        values["secret"],
        values.get("previous_secret"),
        values.get("previous_expires_at"),
        values["rotated_at"],
    )


def for_tenant(tenant_id: str) -> SigningSecrets:
    """The tenant's secrets, created now if it has none (first one wins a race)."""
    existing = _read(tenant_id)
    if existing is not None:
        return existing
    created = SigningSecrets(new_secret(), None, None, now_iso())
    try:
        aws.dynamodb().put_item(
            TableName=settings().table_name,
            Item=to_item(
                {
                    "PK": keys.webhook_secret_pk(tenant_id),
                    "SK": SK,
                    "tenant_id": tenant_id,
                    "secret": created.current,
                    "rotated_at": created.rotated_at,
                    "version": 1,
                }
            ),
            ConditionExpression="attribute_not_exists(PK)",
        )
        return created
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
    raced = _read(tenant_id)
    assert raced is not None
    return raced


def rotate(tenant_id: str) -> dict[str, object]:
    """Make a new current secret; the old one keeps signing (second signature) for 24 h.
    Returns the new secret: the only time it is shown."""
    for _ in range(5):
        response = aws.dynamodb().get_item(
            TableName=settings().table_name,
            Key=_key(tenant_id),
            ConsistentRead=True,
        )
        old = from_item(response["Item"]) if "Item" in response else None
        secret, now = new_secret(), now_iso()
        expires = epoch_seconds() + OVERLAP_SECONDS if old else None
        item = {
            "PK": keys.webhook_secret_pk(tenant_id),
            "SK": SK,
            "tenant_id": tenant_id,
            "secret": secret,
            "previous_secret": old["secret"] if old else None,
            "previous_expires_at": expires,
            "rotated_at": now,
            "version": (old["version"] + 1) if old else 1,
        }
        condition: dict[str, object] = (
            {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": to_attr(old["version"])},
            }
            if old
            else {"ConditionExpression": "attribute_not_exists(PK)"}
        )
        try:
            aws.dynamodb().put_item(TableName=settings().table_name, Item=to_item(item), **condition)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                continue  # rotated concurrently: rotate on top of that one
            raise
        previous_expires_at = (
            datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z") if expires else None
        )
        return {"secret": secret, "rotated_at": now, "previous_secret_expires_at": previous_expires_at}
    raise RuntimeError("could not rotate the webhook secret: contention")

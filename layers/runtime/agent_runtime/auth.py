"""API keys -> tenants. Keys are stored only as SHA-256 hashes; the key itself is shown once."""

from __future__ import annotations

import hashlib
import secrets

from agent_runtime import aws
from agent_runtime.clock import now_iso
from agent_runtime.config import settings
from agent_runtime.errors import Unauthorized
from agent_runtime.store.attrs import from_item, to_attr, to_item

KEY_PREFIX = "ar_"


def _pk(key: str) -> str:
    return "APIKEY#" + hashlib.sha256(key.encode()).hexdigest()


def create_api_key(tenant_id: str, principal: str | None = None) -> str:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    item = {
        "PK": _pk(key),
        "SK": "APIKEY",
        "tenant_id": tenant_id,
        "principal": principal or f"key:{tenant_id}",
        "created_at": now_iso(),
    }
    aws.dynamodb().put_item(
        TableName=settings().table_name, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
    )
    return key


def key_from_headers(headers: dict[str, str]) -> str | None:
    """`Authorization: Bearer <key>`, or ACP servers' `x-api-key: <key>`."""
    lowered = {k.lower(): v for k, v in headers.items() if v}
    authorization = lowered.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return lowered.get("x-api-key") or None


def authenticate(key: str | None) -> tuple[str, str]:
    """The (tenant_id, principal) a key belongs to; Unauthorized for a missing or unknown key."""
    if not key or len(key) > 256:
        raise Unauthorized("missing or malformed API key")
    response = aws.dynamodb().get_item(
        TableName=settings().table_name, Key={"PK": to_attr(_pk(key)), "SK": to_attr("APIKEY")}
    )
    if "Item" not in response:
        raise Unauthorized("unknown API key")
    values = from_item(response["Item"])
    return values["tenant_id"], values["principal"]

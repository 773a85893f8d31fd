"""Where a request carries its API key."""

from __future__ import annotations

from collections.abc import Mapping


def key_from_headers(headers: Mapping[str, str | None]) -> str | None:
    """`Authorization: Bearer <key>`, or ACP servers' `x-api-key: <key>`."""
    lowered = {k.lower(): v for k, v in headers.items() if v}
    authorization = lowered.get("authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return lowered.get("x-api-key") or None

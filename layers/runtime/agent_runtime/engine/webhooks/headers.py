"""A callback's own headers: credentials the receiver asked for (an `Authorization`, a token header),
sent with every attempt of the run's webhooks. Write-only: stored with the run's callback and copied to
each delivery when it is made, never shown back, logged or recorded with an attempt. Only
`Authorization` and `X-` names are taken, so nothing the sender sets itself (Host, Content-Type, the
`webhook-*` signature headers, ...) can be replaced."""

from __future__ import annotations

import re
from collections.abc import Mapping

from agent_runtime.errors import ValidationFailed

MAX_HEADERS = 8
MAX_VALUE_CHARS = 4096
NAME = re.compile(r"^(authorization|x-[a-z0-9-]{1,62})$")
# Names a receiver's proxies may trust for the client's address: never ours to set.
REFUSED_PREFIXES = ("x-forwarded-", "x-real-ip", "x-amz-", "x-envoy-")
# Visible ASCII, spaces and tabs inside: no CR or LF (header injection), no non-ASCII.
VALUE = re.compile(r"^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$")


def validate_callback_headers(headers: Mapping[str, str], field: str = "callback_headers") -> dict[str, str]:
    """The headers as they will be sent, or a ValidationFailed naming each refused one (by name,
    never by value)."""
    errors: list[dict[str, str]] = []
    if len(headers) > MAX_HEADERS:
        errors.append({"field": field, "message": f"at most {MAX_HEADERS} headers"})
    seen: set[str] = set()
    for name, value in headers.items():
        lowered = name.lower()
        if not NAME.match(lowered) or lowered.startswith(REFUSED_PREFIXES):
            errors.append({"field": f"{field}.{name[:70]}", "message": "only Authorization and X- headers"})
        elif lowered in seen:
            errors.append({"field": f"{field}.{name}", "message": "given twice"})
        elif not isinstance(value, str) or len(value) > MAX_VALUE_CHARS or not VALUE.match(value):
            errors.append(
                {
                    "field": f"{field}.{name}",
                    "message": f"1-{MAX_VALUE_CHARS} visible ASCII characters (no line breaks)",
                }
            )
        seen.add(lowered)
    if errors:
        raise ValidationFailed("callback headers are not allowed", errors=errors)
    return dict(headers)

"""What A2A's endpoints share: the A2A-Version check, the API's base URL (for agent cards) and the
caller."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from agent_runtime.a2a.errors import VersionNotSupported
from agent_runtime.http.adapter import Request

if TYPE_CHECKING:
    from agent_runtime.a2a.caller import Caller

SUPPORTED_MAJOR = "1"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def check_version(request: Request) -> None:
    """A2A-Version (header, or query parameter): this door serves 1.x. No version means 0.3 (spec
    section 3.6.2), which it does not serve: the error says what to send."""
    version = (request.header("A2A-Version") or request.query.get("A2A-Version") or "").strip()
    if version.split(".", 1)[0] != SUPPORTED_MAJOR or not version:
        raise VersionNotSupported(
            f"this agent serves A2A 1.0, not {version or '0.3 (no A2A-Version header)'}: "
            "send A2A-Version: 1.0",
            requested=version or "0.3",
            supported="1.0",
        )


# A host name (or IP literal) and an optional port: anything else in Host is not put in a card.
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)


def base_url(request: Request) -> str:
    """The API's absolute URL, as the client reached it (stage included in the cloud). Host and
    X-Forwarded-Proto are the client's to send: only a well-formed host and http/https are used (the
    card is publicly cacheable, and varies on both)."""
    host = request.header("host") or "localhost"
    if not _HOST.match(host):
        host = "localhost"
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    scheme = (request.header("x-forwarded-proto") or "").split(",")[0].strip().lower()
    if scheme not in {"http", "https"}:
        scheme = "http" if name in LOOPBACK_HOSTS else "https"
    return f"{scheme}://{host}{request.base_path}"


def caller(request: Request, agent: str | None) -> Caller:
    # Imported here: the public card handler shares this module and needs no engine (cold starts).
    from agent_runtime.a2a.caller import Caller
    from agent_runtime.engine import Engine

    return Caller(Engine.default(), request.tenant_id, request.principal, agent or None)

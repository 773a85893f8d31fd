"""What ACP's endpoints share: ACP's error shape, query parsing."""

from __future__ import annotations

from agent_runtime.errors import BadRequest, DomainError
from agent_runtime.http.adapter import Request, Response, api_handler
from agent_runtime.http.errors import http_status


def acp_error(error: DomainError, path: str | None) -> Response:
    """ACP's ErrorResponse: a JSON string with the message (field errors appended). ACP documents
    422 for every invalid request, so what the v1 API answers 400 (malformed JSON, bad query values
    or headers) is 422 here."""
    status = http_status(error)[0]
    detail = error.detail
    if error.errors:
        detail += ": " + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in error.errors)
    return Response.json(422 if status == 400 else status, detail)


# Every ACP endpoint answers errors as ACP's ErrorResponse (a JSON string).
acp_endpoint = api_handler(acp_error)


def block_timeout(request: Request) -> float | None:
    """`?block_timeout=` seconds, bounded by the server's own wait limit."""
    return request.seconds_query("block_timeout", 3600)


def no_content() -> Response:
    return Response(204)


def boolean(request: Request, name: str) -> bool:
    raw = (request.query.get(name) or "false").lower()
    if raw not in {"true", "false", "1", "0"}:
        raise BadRequest(f"{name} must be true or false", errors=[{"field": name, "message": raw[:40]}])
    return raw in {"true", "1"}


def cancel_action(request: Request) -> str:
    """`?action=` of the cancel endpoints: interrupt (cancel) or rollback (cancel, then delete)."""
    boolean(request, "wait")  # cancelling is synchronous here: the run is cancelled when we answer
    action = request.query.get("action") or "interrupt"
    if action not in {"interrupt", "rollback"}:
        raise BadRequest(
            "action must be interrupt or rollback", errors=[{"field": "action", "message": action[:40]}]
        )
    return action


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def base_url(request: Request) -> str:
    """The API's absolute URL as the client reached it (the stage included in the cloud)."""
    host = request.header("host") or "localhost"
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    scheme = request.header("x-forwarded-proto") or ("http" if name in LOOPBACK_HOSTS else "https")
    return f"{scheme.split(',')[0].strip()}://{host}{request.base_path}"

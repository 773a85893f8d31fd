"""What ACP's thin handlers share: ACP's error shape, SSE responses, the wait bound."""

from __future__ import annotations

from collections.abc import Callable

from agent_runtime.errors import BadRequest, DomainError
from agent_runtime.http import Request, Response, api_handler
from agent_runtime.http.adapter import Handler, acp_error


def _acp_error(error: DomainError, path: str | None) -> Response:
    """ACP's ErrorResponse (a JSON string). ACP documents 422 for every invalid request, so what the
    v1 API answers 400 (malformed JSON, bad query values or headers) is 422 here."""
    response = acp_error(error, path)
    if response.status == 400:
        response.status = 422
    return response


# Every ACP endpoint answers errors as ACP's ErrorResponse (a JSON string).
acp_endpoint: Callable[[Callable[[Request], Response]], Handler] = api_handler(errors=_acp_error)


def sse(body: str) -> Response:
    return Response(200, body, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})


def after(request: Request) -> int:
    raw = request.header("Last-Event-ID") or "0"
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise BadRequest(
            "Last-Event-ID must be an event id", errors=[{"field": "Last-Event-ID", "message": raw[:40]}]
        )
    return int(raw)


def block_timeout(request: Request) -> float | None:
    """`?block_timeout=` seconds, bounded by the server's own wait limit."""
    raw = request.query.get("block_timeout")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= 3600:
        raise BadRequest(
            "block_timeout must be seconds between 0 and 3600",
            errors=[{"field": "block_timeout", "message": raw[:40]}],
        )
    return value


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

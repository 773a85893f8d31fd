"""MCP's Streamable HTTP transport, 2026-07-28 revision: one POST per JSON-RPC request, no sessions, no
handshake. Each request carries its protocol version and client capabilities in `params._meta`,
mirrored in headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name) that must agree with the body. The
answer is one JSON object, or, for a tool call with a progress token from a client that accepts SSE,
a bounded SSE response: a progress notification per run event, then the response."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

from agent_runtime.engine import Engine, budget
from agent_runtime.errors import BadRequest, DomainError
from agent_runtime.http.adapter import Request, Response, api_handler
from agent_runtime.mcp import tasks, views
from agent_runtime.mcp.errors import (
    PROTOCOL_VERSION,
    TASKS_EXTENSION,
    ForbiddenOrigin,
    HeaderMismatch,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    ParseError,
    UnsupportedProtocolVersion,
    jsonrpc_error,
)

VERSION_META = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_META = "io.modelcontextprotocol/clientCapabilities"
SERVER_INFO_META = "io.modelcontextprotocol/serverInfo"
SERVER_INFO = {"name": "agent-runtime", "version": "1.0.0"}
# Methods whose Mcp-Name header mirrors a body field (the core's, and the Tasks extension's).
NAME_FIELDS = {
    "tools/call": "name",
    "tasks/get": "taskId",
    "tasks/update": "taskId",
    "tasks/cancel": "taskId",
}
TOOLS_TTL_MS = 300_000  # tools change only with a deployment
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _render(error: DomainError, path: str | None) -> Response:
    """Errors before a request id is known (no tenant, body too large), and the adapter's 503 (it adds
    Retry-After) and 500."""
    status, body = jsonrpc_error(error, None)
    return Response.json(status, body)


mcp_endpoint = api_handler(_render)


def _error(error: DomainError, request_id: Any) -> Response:
    status, body = jsonrpc_error(error, request_id)
    return Response.json(status, body)


def handle(request: Request) -> Response:
    _check_origin(request)
    try:
        raw = request.json_value()
    except BadRequest as error:
        return _error(ParseError(error.detail), None)
    if isinstance(raw, dict) and "id" not in raw and isinstance(raw.get("method"), str):
        # A notification: this revision defines none from clients over HTTP; accepted and dropped.
        return Response(202)
    request_id = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(request_id, bool) or not isinstance(request_id, str | int):
        request_id = None
    try:
        method, params, meta = _envelope(raw, request_id)
        _check_headers(request, method, params, meta)
        caller = tasks.Caller(
            Engine.default(), request.tenant_id, request.principal, _takes_tasks(meta.get(CAPABILITIES_META))
        )
        return dispatch(request, caller, request_id, method, params, meta)
    except DomainError as error:
        return _error(error, request_id)


def _check_origin(request: Request) -> None:
    """DNS rebinding (spec: MUST validate Origin): a browser page may only call from this host."""
    origin = request.header("origin")
    if origin is None:
        return
    host = request.header("host") or ""
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise ForbiddenOrigin(f"origin {origin[:100]!r} may not call this server")


def _envelope(raw: Any, request_id: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    if not isinstance(raw, dict) or raw.get("jsonrpc") != "2.0" or request_id is None:
        raise InvalidRequest("send one JSON-RPC 2.0 request object with an id (no batches, no responses)")
    method = raw.get("method")
    if not isinstance(method, str):
        raise InvalidRequest("method must be a string")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise InvalidRequest("params must be an object")
    if method == "initialize":  # a client of 2025-11-25 or before: say which version to speak
        asked = params.get("protocolVersion")
        requested = asked[:40] if isinstance(asked, str) else "before 2026-07-28"
        raise UnsupportedProtocolVersion(
            f"this server speaks MCP {PROTOCOL_VERSION} (no initialize handshake), not {requested}",
            requested=requested,
        )
    meta = params.get("_meta")
    missing = [k for k in (VERSION_META, CAPABILITIES_META) if not isinstance(meta, dict) or k not in meta]
    if missing or not isinstance(meta, dict):
        raise InvalidParams(
            f"params._meta must carry {' and '.join(missing)} (MCP 2026-07-28 has no initialize handshake)",
            errors=[{"field": f"params._meta.{k}", "message": "required"} for k in missing],
        )
    return method, params, meta


def _decoded(value: str | None) -> str | None:
    """A header value, Base64 sentinel (`=?base64?...?=`) decoded."""
    if value is None or not (value.startswith("=?base64?") and value.endswith("?=")):
        return value
    try:
        return base64.b64decode(value[len("=?base64?") : -2], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise HeaderMismatch("Mcp-Name is not valid Base64 of UTF-8") from None


def _check_headers(request: Request, method: str, params: dict[str, Any], meta: dict[str, Any]) -> None:
    """The headers intermediaries route and throttle on must say what the body says."""
    version = request.header("mcp-protocol-version")
    if version is not None and version != PROTOCOL_VERSION:
        raise UnsupportedProtocolVersion(
            f"this server speaks MCP {PROTOCOL_VERSION}, not {version[:40]}", requested=version[:40]
        )
    if version != meta.get(VERSION_META):
        raise HeaderMismatch("MCP-Protocol-Version header does not match params._meta's protocolVersion")
    if request.header("mcp-method") != method:
        raise HeaderMismatch("Mcp-Method header does not match the request's method")
    field = NAME_FIELDS.get(method)
    if (
        field is not None
        and params.get(field) is not None
        and _decoded(request.header("mcp-name")) != params[field]
    ):
        raise HeaderMismatch(f"Mcp-Name header does not match params.{field}")


def _takes_tasks(capabilities: Any) -> bool:
    extensions = capabilities.get("extensions") if isinstance(capabilities, dict) else None
    return isinstance(extensions, dict) and TASKS_EXTENSION in extensions


def _result(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    meta = {**(result.get("_meta") or {}), SERVER_INFO_META: SERVER_INFO}
    return {"jsonrpc": "2.0", "id": request_id, "result": {**result, "_meta": meta}}


def dispatch(
    request: Request,
    caller: tasks.Caller,
    request_id: Any,
    method: str,
    params: dict[str, Any],
    meta: dict[str, Any],
) -> Response:
    def ok(result: dict[str, Any]) -> Response:
        return Response.json(200, _result(request_id, result))

    if method == "server/discover":
        return ok(
            {
                "resultType": "complete",
                "supportedVersions": [PROTOCOL_VERSION],
                "capabilities": {"tools": {"listChanged": False}, "extensions": {TASKS_EXTENSION: {}}},
                "instructions": "Each tool runs a workflow. Runs that wait for a person are tasks: "
                "declare io.modelcontextprotocol/tasks to follow them and answer their input requests.",
                "ttlMs": TOOLS_TTL_MS,
                "cacheScope": "public",
            }
        )
    if method == "tools/list":
        return ok(
            {
                "resultType": "complete",
                "tools": tasks.list_tools(caller),
                "ttlMs": TOOLS_TTL_MS,
                "cacheScope": "private",
            }
        )
    if method == "tools/call":
        call = tasks.parse(tasks.CallParams, params)
        token = meta.get("progressToken")
        if (
            isinstance(token, str | int)
            and not isinstance(token, bool)
            and request.accepts("text/event-stream")
        ):
            return _call_streaming(caller, request_id, call, token)
        return ok(tasks.call(caller, call))
    if method in {"tasks/get", "tasks/update", "tasks/cancel"}:
        tasks.require_tasks(caller)
        if method == "tasks/update":
            return ok(tasks.update(caller, tasks.parse(tasks.UpdateParams, params)))
        task_id = tasks.parse(tasks.TaskParams, params).task_id
        return ok(tasks.get(caller, task_id) if method == "tasks/get" else tasks.cancel(caller, task_id))
    raise MethodNotFound(f"no method {method!r} (this server serves tools and the Tasks extension)")


def _frame(message: dict[str, Any]) -> str:
    return f"event: message\ndata: {budget.compact_json(message)}\n\n"


def _call_streaming(
    caller: tasks.Caller, request_id: Any, call: tasks.CallParams, token: str | int
) -> Response:
    """Progress notifications while the call waits (its run's events), then the response. The
    response is buffered by API Gateway and Lambda, so the stream is bounded like a JSON answer."""
    frames, run = tasks.call_streaming(caller, call, lambda event: _frame(views.progress(token, event)))
    final = _frame(_result(request_id, tasks.answer_of(caller, run)))
    # One response holds the budget (a Lambda response is at most 6 MB): the result always, and the
    # progress frames that fit beside it, from the first; the run's events stay readable elsewhere.
    room = budget.RESPONSE_BUDGET_BYTES - len(final.encode())
    kept: list[str] = []
    for frame in frames:
        room -= len(frame.encode())
        if room < 0:
            break
        kept.append(frame)
    return Response(200, "".join(kept) + final, dict(SSE_HEADERS))

"""MCP's errors as JSON-RPC error objects, with the HTTP status the Streamable HTTP transport of the
2026-07-28 revision gives each (400 for a malformed request, a header mismatch, an unsupported
version or a missing client capability; 404 for an unknown method), as the official SDK's server
does. Engine errors are InvalidParams naming the field; a missing key is the 401 every door answers."""

from __future__ import annotations

from typing import Any

from agent_runtime.errors import DomainError
from agent_runtime.http.errors import (
    InternalError,
    NotAcceptable,
    PayloadTooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)

PROTOCOL_VERSION = "2026-07-28"
TASKS_EXTENSION = "io.modelcontextprotocol/tasks"


class McpError(DomainError):
    """A JSON-RPC error: its code, and the HTTP status it travels in."""

    code = -32603
    http = 200

    def data(self) -> dict[str, Any] | None:
        return {"errors": self.errors} if self.errors else None


class ParseError(McpError):
    code, http = -32700, 400


class InvalidRequest(McpError):
    code, http = -32600, 400


class MethodNotFound(McpError):
    code, http = -32601, 404


class InvalidParams(McpError):
    code, http = -32602, 400


class ForbiddenOrigin(McpError):
    """A browser page of another origin (the transport's DNS-rebinding rule)."""

    code, http = -32600, 403


class HeaderMismatch(McpError):
    code, http = -32020, 400


class MissingClientCapability(McpError):
    code, http = -32021, 400

    def data(self) -> dict[str, Any]:
        return {"requiredCapabilities": {"extensions": {TASKS_EXTENSION: {}}}}


class UnsupportedProtocolVersion(McpError):
    code, http = -32022, 400

    def data(self) -> dict[str, Any]:
        return {"supported": [PROTOCOL_VERSION], "requested": str(self.extra.get("requested", ""))}


# Implementation-defined codes (-32000 to -32019) for what only the HTTP layer knows.
_HTTP_ERRORS: dict[type[DomainError], tuple[int, int]] = {
    Unauthorized: (-32001, 401),
    NotAcceptable: (-32600, 406),
    PayloadTooLarge: (-32600, 413),
    UnsupportedMediaType: (-32600, 415),
    Unavailable: (-32002, 503),
    InternalError: (-32603, 500),
}


def as_mcp(error: DomainError) -> McpError:
    """The engine's errors (BadRequest, NotFound, ValidationFailed, Conflict) as MCP sees them: a bad or
    unknown id, an input that doesn't fit, a state that refuses the call are all InvalidParams (the
    Tasks extension's code for an unknown task, too)."""
    if isinstance(error, McpError):
        return error
    return InvalidParams(error.detail, errors=error.errors)


def jsonrpc_error(error: DomainError, request_id: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON-RPC error response) for `error`."""
    for cls in type(error).__mro__:
        if cls in _HTTP_ERRORS:
            code, status = _HTTP_ERRORS[cls]
            body: dict[str, Any] = {"code": code, "message": error.detail}
            return status, {"jsonrpc": "2.0", "id": request_id, "error": body}
    mcp = as_mcp(error)
    body = {"code": mcp.code, "message": mcp.detail}
    if (data := mcp.data()) is not None:
        body["data"] = data
    return mcp.http, {"jsonrpc": "2.0", "id": request_id, "error": body}

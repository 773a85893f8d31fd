"""A2A's errors (spec section 3.3.2 and 5.4) and how each binding shows them: a JSON-RPC error object,
or the HTTP+JSON binding's google.rpc.Status body. Every error carries an ErrorInfo detail with its
A2A reason, and field-level problems a BadRequest detail, so SDK clients raise the right exception."""

from __future__ import annotations

from typing import Any

from agent_runtime.errors import BadRequest, Conflict, DomainError, NotFound, ValidationFailed
from agent_runtime.http.errors import (
    InternalError,
    NotAcceptable,
    PayloadTooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)

DOMAIN = "a2a-protocol.org"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


class A2AError(DomainError):
    """An A2A error: its JSON-RPC code, HTTP status (spec section 5.4's table: a2a-sdk 1.x answers 400
    for TaskNotCancelable and ContentTypeNotSupported, the spec 409 and 415; its client maps errors by
    the ErrorInfo reason, so both work), gRPC-style status name and ErrorInfo reason."""

    code = -32603
    http = 500
    status = "INTERNAL"
    reason = "INTERNAL_ERROR"


class TaskNotFound(A2AError):
    code, http, status, reason = -32001, 404, "NOT_FOUND", "TASK_NOT_FOUND"


class TaskNotCancelable(A2AError):
    code, http, status, reason = -32002, 409, "FAILED_PRECONDITION", "TASK_NOT_CANCELABLE"


class PushNotificationNotSupported(A2AError):
    code, http, status, reason = -32003, 400, "FAILED_PRECONDITION", "PUSH_NOTIFICATION_NOT_SUPPORTED"


class UnsupportedOperation(A2AError):
    code, http, status, reason = -32004, 400, "FAILED_PRECONDITION", "UNSUPPORTED_OPERATION"


class ContentTypeNotSupported(A2AError):
    code, http, status, reason = -32005, 415, "INVALID_ARGUMENT", "CONTENT_TYPE_NOT_SUPPORTED"


class VersionNotSupported(A2AError):
    code, http, status, reason = -32009, 400, "FAILED_PRECONDITION", "VERSION_NOT_SUPPORTED"


class InvalidParams(A2AError):
    code, http, status, reason = -32602, 400, "INVALID_ARGUMENT", "INVALID_PARAMS"


class InvalidRequest(A2AError):
    code, http, status, reason = -32600, 400, "INVALID_ARGUMENT", "INVALID_REQUEST"


class MethodNotFound(A2AError):
    code, http, status, reason = -32601, 404, "NOT_FOUND", "METHOD_NOT_FOUND"


class ParseError(A2AError):
    code, http, status, reason = -32700, 400, "INVALID_ARGUMENT", "INVALID_REQUEST"


# What the engine's and the HTTP layer's errors are in A2A: (JSON-RPC code, HTTP status, status, reason).
_DOMAIN: list[tuple[type[DomainError], tuple[int, int, str, str]]] = [
    (NotFound, (TaskNotFound.code, 404, "NOT_FOUND", TaskNotFound.reason)),
    (ValidationFailed, (InvalidParams.code, 400, "INVALID_ARGUMENT", InvalidParams.reason)),
    (BadRequest, (InvalidParams.code, 400, "INVALID_ARGUMENT", InvalidParams.reason)),
    (Conflict, (UnsupportedOperation.code, 400, "FAILED_PRECONDITION", UnsupportedOperation.reason)),
    (Unauthorized, (-32000, 401, "UNAUTHENTICATED", "UNAUTHENTICATED")),
    (NotAcceptable, (InvalidRequest.code, 406, "INVALID_ARGUMENT", InvalidRequest.reason)),
    (PayloadTooLarge, (InvalidRequest.code, 413, "INVALID_ARGUMENT", InvalidRequest.reason)),
    (
        UnsupportedMediaType,
        (ContentTypeNotSupported.code, 415, "INVALID_ARGUMENT", "CONTENT_TYPE_NOT_SUPPORTED"),
    ),
    (Unavailable, (-32603, 503, "UNAVAILABLE", "UNAVAILABLE")),
    (InternalError, (-32603, 500, "INTERNAL", "INTERNAL_ERROR")),
]


def classify(error: DomainError) -> tuple[int, int, str, str]:
    if isinstance(error, A2AError):
        return error.code, error.http, error.status, error.reason
    for cls, mapping in _DOMAIN:
        if isinstance(error, cls):
            return mapping
    return _DOMAIN[-1][1]


def details(error: DomainError, reason: str) -> list[dict[str, Any]]:
    metadata = {k: str(v) for k, v in error.extra.items() if isinstance(v, str | int | float | bool)}
    out: list[dict[str, Any]] = [
        {"@type": ERROR_INFO, "reason": reason, "domain": DOMAIN, "metadata": metadata}
    ]
    if error.errors:
        violations = [
            {"field": str(e.get("field", "")), "description": str(e.get("message", ""))} for e in error.errors
        ]
        out.append({"@type": BAD_REQUEST, "fieldViolations": violations})
    return out


def message_of(error: DomainError) -> str:
    if not error.errors:
        return error.detail
    return error.detail + ": " + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in error.errors)


def jsonrpc_error(error: DomainError, request_id: Any) -> dict[str, Any]:
    code, _, _, reason = classify(error)
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "error": {"code": code, "message": message_of(error), "data": details(error, reason)},
    }


def rest_error(error: DomainError) -> tuple[int, dict[str, Any]]:
    _, http, status, reason = classify(error)
    body = {"code": http, "status": status, "message": message_of(error), "details": details(error, reason)}
    return http, {"error": body}

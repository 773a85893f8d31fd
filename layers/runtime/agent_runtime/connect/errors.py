"""The Connect door's errors: the engine's typed errors as Connect error codes (connectrpc renders them
as the protocol's {"code", "message"} body with the HTTP status the Connect spec gives each code).

| engine / http error  | Connect code        | HTTP |
| -------------------- | ------------------- | ---- |
| BadRequest           | invalid_argument    | 400  |
| ValidationFailed     | invalid_argument    | 400  |
| Unauthorized         | unauthenticated     | 401  |
| NotFound             | not_found           | 404  |
| Conflict (a reused idempotency key) | already_exists | 409 |
| Conflict (anything else: terminal run, answered checkpoint, schema_hash) | failed_precondition | 400 |
| PayloadTooLarge      | resource_exhausted  | 429  |
| NotAcceptable, UnsupportedMediaType | invalid_argument | 400 |
| Unavailable, a throttled AWS call | unavailable | 503 |
| anything else        | internal (no details) | 500 |
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from connectrpc.code import Code
from connectrpc.errors import ConnectError

from agent_runtime.errors import BadRequest, Conflict, DomainError, NotFound, ValidationFailed, is_transient
from agent_runtime.http.errors import (
    InternalError,
    NotAcceptable,
    PayloadTooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)

log = logging.getLogger("agent_runtime.connect")

CODES: dict[type[DomainError], Code] = {
    BadRequest: Code.INVALID_ARGUMENT,
    ValidationFailed: Code.INVALID_ARGUMENT,
    NotAcceptable: Code.INVALID_ARGUMENT,
    UnsupportedMediaType: Code.INVALID_ARGUMENT,
    Unauthorized: Code.UNAUTHENTICATED,
    NotFound: Code.NOT_FOUND,
    Conflict: Code.FAILED_PRECONDITION,
    PayloadTooLarge: Code.RESOURCE_EXHAUSTED,
    Unavailable: Code.UNAVAILABLE,
    InternalError: Code.INTERNAL,
}
UNAVAILABLE_MESSAGE = "a service the runtime depends on is busy; try again in a moment"


def code_of(error: DomainError) -> Code:
    if isinstance(error, Conflict) and any(e.get("field") == "Idempotency-Key" for e in error.errors):
        return Code.ALREADY_EXISTS
    for cls in type(error).__mro__:
        if cls in CODES:
            return CODES[cls]
    return Code.INVALID_ARGUMENT


def message_of(error: DomainError) -> str:
    """The detail, with its field-level errors (Connect's message is the one text a client shows)."""
    fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in error.errors if e.get("field"))
    return f"{error.detail} ({fields})" if fields else error.detail


def connect_error(error: Exception) -> ConnectError:
    if isinstance(error, ConnectError):
        return error
    if isinstance(error, DomainError):
        return ConnectError(code_of(error), message_of(error))
    if is_transient(error):
        log.warning("busy serving a Connect call: %s", error)
        return ConnectError(Code.UNAVAILABLE, UNAVAILABLE_MESSAGE)
    log.exception("unhandled error serving a Connect call", exc_info=error)
    return ConnectError(Code.INTERNAL, "the server failed to handle this request")


F = TypeVar("F", bound=Callable[..., Any])


def translated(method: F) -> F:
    """A service method whose engine errors reach the client as Connect errors, never as `unknown`
    with a Python message; a server-streaming method's are translated while it is iterated too."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = method(*args, **kwargs)
        except Exception as error:
            raise connect_error(error) from error
        if isinstance(result, Iterator):
            return _translated_stream(result)
        return result

    return call  # type: ignore[return-value]


def _translated_stream(stream: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from stream
    except Exception as error:
        raise connect_error(error) from error

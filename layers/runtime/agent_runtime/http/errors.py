"""Errors of the HTTP layer itself, and the HTTP status, title and problem type of every error.
Doors render them in their own shape (v1: RFC 9457 problem+json; ACP: a JSON string)."""

from __future__ import annotations

from agent_runtime.errors import BadRequest, BudgetExceeded, Conflict, DomainError, NotFound, ValidationFailed


class Unauthorized(DomainError):
    pass


class NotAcceptable(DomainError):
    pass


class PayloadTooLarge(DomainError):
    pass


class UnsupportedMediaType(DomainError):
    pass


class Unavailable(DomainError):
    """A service the runtime depends on stayed busy (throttled) through the retries: try again."""


class InternalError(DomainError):
    """Never raised by domain code: what an unexpected exception is reported as, without its details."""


# (status, title, problem type slug) by error class; the first match in the MRO wins.
HTTP_STATUS: dict[type[DomainError], tuple[int, str, str]] = {
    BadRequest: (400, "Bad request", "bad-request"),
    Unauthorized: (401, "Unauthorized", "unauthorized"),
    NotFound: (404, "Not found", "not-found"),
    NotAcceptable: (406, "Not acceptable", "not-acceptable"),
    Conflict: (409, "Conflict", "conflict"),
    PayloadTooLarge: (413, "Payload too large", "payload-too-large"),
    UnsupportedMediaType: (415, "Unsupported media type", "unsupported-media-type"),
    ValidationFailed: (422, "Validation failed", "validation-failed"),
    BudgetExceeded: (429, "Budget exceeded", "budget-exceeded"),
    Unavailable: (503, "Service unavailable", "unavailable"),
    InternalError: (500, "Internal error", "internal"),
}


def http_status(error: DomainError) -> tuple[int, str, str]:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return HTTP_STATUS[BadRequest]

"""Typed domain errors. The HTTP adapter maps each to one status and an RFC 9457 problem."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class NotFound(DomainError):
    status, title, type_slug = 404, "Not found", "not-found"


class MethodNotAllowed(DomainError):
    status, title, type_slug = 405, "Method not allowed", "method-not-allowed"


class NotAcceptable(DomainError):
    status, title, type_slug = 406, "Not acceptable", "not-acceptable"


class Conflict(DomainError):
    status, title, type_slug = 409, "Conflict", "conflict"


class PayloadTooLarge(DomainError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(DomainError):
    status, title, type_slug = 415, "Unsupported media type", "unsupported-media-type"


class ValidationFailed(DomainError):
    status, title, type_slug = 422, "Validation failed", "validation-failed"


class TransientAwsError(Exception):
    """An AWS call failed in a way worth retrying (throttling, 5xx). The state machine retries it."""


class InternalError(DomainError):
    """Never raised by domain code: what an unexpected exception is reported as, without its details."""

    status, title, type_slug = 500, "Internal error", "internal"

"""Domain errors: what the engine raises when a request can't be done. Each door maps them to its
protocol's error shape and status (http/errors.py holds the HTTP statuses they share)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []  # field-level detail: [{"field", "message", ...}]
        self.extra = extra  # further facts for the client (e.g. the current status)


class BadRequest(DomainError):
    """The request is malformed (a cursor, a header, a parameter)."""


class NotFound(DomainError):
    """No such resource, or not one of the caller's tenant (indistinguishable on purpose)."""


class Conflict(DomainError):
    """The resource is not in a state that allows this (terminal run, answered checkpoint, ...)."""


class ValidationFailed(DomainError):
    """The request is well-formed but its content doesn't fit the schema it must match."""


class TransientAwsError(Exception):
    """An AWS call failed in a way worth retrying (throttling, 5xx). The state machine retries it."""

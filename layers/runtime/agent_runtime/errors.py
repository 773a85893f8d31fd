"""Domain errors: what the engine raises when a request can't be done. Each door maps them to its
protocol's error shape and status (http/errors.py holds the HTTP statuses they share)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar


class DomainError(Exception):
    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []  # field-level detail: [{"field", "message", ...}]
        self.extra = extra  # further facts for the client (e.g. the current status)


E = TypeVar("E", bound=DomainError)


def renamed(error: E, fields: Mapping[str, str]) -> E:
    """`error` with the engine's field names (a RunSpec's: `callback_url`) as a door's request calls them
    (ACP's `webhook`), in its field-level detail and at the start of its message."""
    errors = [{**e, "field": fields.get(str(e.get("field")), e.get("field"))} for e in error.errors]
    detail = error.detail
    for old, new in fields.items():
        if detail.startswith(old + " "):
            detail = new + detail[len(old) :]
    return type(error)(detail, errors=errors, **error.extra)


class BadRequest(DomainError):
    """The request is malformed (a cursor, a header, a parameter)."""


class NotFound(DomainError):
    """No such resource, or not one of the caller's tenant (indistinguishable on purpose)."""


class Conflict(DomainError):
    """The resource is not in a state that allows this (terminal run, answered checkpoint, ...)."""


class ValidationFailed(DomainError):
    """The request is well-formed but its content doesn't fit the schema it must match."""


class BudgetExceeded(DomainError):
    """A model budget is spent (engine/budgets.py): the tenant's daily budget refuses new runs until the
    next UTC day or a higher budget."""

    retry_after_seconds: int = 3600


class TransientAwsError(Exception):
    """An AWS call failed in a way worth retrying (throttling, 5xx). The state machine retries it."""


# AWS error codes that say "busy, try again": throttling, capacity, a service's own 5xx.
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionInProgressException",
    }
)


def is_transient(error: BaseException) -> bool:
    """Whether `error` is an AWS failure worth retrying later (the request may succeed then)."""
    if isinstance(error, TransientAwsError):
        return True
    response = getattr(error, "response", None)  # botocore's ClientError, without importing botocore
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return code in TRANSIENT_CODES or (isinstance(status, int) and status >= 500)

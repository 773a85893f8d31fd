"""Typed exceptions. Every error response of the API is an RFC 9457 problem: `APIError.problem` holds
it (status, field errors, the current state on a conflict), one subclass per status."""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import ValidationError as _PydanticValidationError

from agent_runtime_client.models import Checkpoint, FieldError, Problem


class AgentRuntimeError(Exception):
    """Base of every exception this package raises."""


class APIConnectionError(AgentRuntimeError):
    """No response: the connection failed or timed out (after the retries the policy allows)."""


class WaitTimeout(AgentRuntimeError):
    """`runs.wait` gave up before the run reached what it waited for; `run` is the run as last read."""

    def __init__(self, message: str, run: Any) -> None:
        super().__init__(message)
        self.run = run


class IntegrityError(AgentRuntimeError):
    """A downloaded artifact's size or SHA-256 is not what the API said."""


class WebhookVerificationError(AgentRuntimeError):
    """A webhook's signature or timestamp did not verify: do not trust its body."""


class WebhookPayloadError(AgentRuntimeError):
    """A delivery's signature verified, but its body is not a v1 WebhookEvent: an A2A push notification
    or an ACP webhook (runs created through those doors). Read those with `webhooks.verify_payload`."""


class APIError(AgentRuntimeError):
    """An error response. `problem` is its body; `retried` is true when the request was sent more than
    once (a conflict after a retry may be the first attempt's own success)."""

    def __init__(
        self, problem: Problem, response: httpx.Response | None = None, retried: bool = False
    ) -> None:
        super().__init__(f"{problem.status} {problem.title}: {problem.detail}".strip())
        self.problem = problem
        self.response = response
        self.retried = retried

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def errors(self) -> list[FieldError]:
        """Field-level errors (`input.count`, `data.email`, ...)."""
        return self.problem.errors

    @property
    def status_now(self) -> str | None:
        """On a conflict: the run's or the checkpoint's status now."""
        return self.problem.status_now

    @property
    def checkpoint(self) -> Checkpoint | None:
        """On a conflict answering a checkpoint that is no longer pending: the checkpoint as it is."""
        return self.problem.checkpoint


class BadRequestError(APIError):
    """400: malformed JSON, a bad query parameter, cursor or header."""


class AuthenticationError(APIError):
    """401: the API key is missing or unknown."""


class PermissionDeniedError(APIError):
    """403: the key may not do this (in the cloud: a tenant outside the usage plan)."""


class NotFoundError(APIError):
    """404: no such run, checkpoint, artifact, workflow or version (or another tenant's)."""


class MethodNotAllowedError(APIError):
    """405."""


class NotAcceptableError(APIError):
    """406."""


class ConflictError(APIError):
    """409: the state forbids it (`status_now`, `checkpoint`), a reused Idempotency-Key, a stale
    `schema_hash` (`problem.schema_hash` is the current one)."""


class PayloadTooLargeError(APIError):
    """413: the body is over the size limit (2 MiB)."""


class UnsupportedMediaTypeError(APIError):
    """415."""


class UnprocessableEntityError(APIError):
    """422: the body does not match the request's or the workflow's schema; `errors` names each field."""


class RateLimitedError(APIError):
    """429, once the retries are spent."""


class ServerError(APIError):
    """5xx, once the retries are spent."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    406: NotAcceptableError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitedError,
}


def problem_of(response: httpx.Response) -> Problem:
    """The response's problem body, or one made up from its status when it has none."""
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        try:
            return Problem.model_validate({"status": response.status_code, **body})
        except _PydanticValidationError:
            pass
    text = response.content[:200].decode(errors="replace") if response.content else ""
    return Problem(status=response.status_code, title=response.reason_phrase, detail=text)


def error_for(response: httpx.Response, retried: bool = False) -> APIError:
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(problem_of(response), response, retried)

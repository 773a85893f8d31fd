"""What the sync and async clients share: configuration, the requests of every operation, the retry
policy and response parsing. Only the sending differs between them."""

from __future__ import annotations

import email.utils
import json
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import httpx
from httpx_sse import ServerSentEvent

from agent_runtime_client._version import __version__
from agent_runtime_client.models import (
    TERMINAL_STATUSES,
    AnyEvent,
    Checkpoint,
    Run,
    UsageSummary,
    parse_event,
)

DEFAULT_URL = "http://127.0.0.1:9000"  # the local stack, `agent-runtime dev`
URL_ENV = "AGENT_RUNTIME_URL"
API_KEY_ENV = "AGENT_RUNTIME_API_KEY"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# An SSE window is one buffered response of up to ~25 s (API Gateway's limit is 29 s).
STREAM_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
USER_AGENT = f"agent-runtime-client/{__version__} httpx/{httpx.__version__}"

T = TypeVar("T")

# Sent or not, the server never saw these: any request may go again.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries with exponential backoff and full jitter: attempt n waits a random time up to
    min(cap, base * 2**n), or what the response's Retry-After asks (at most `max_retry_after`).

    Requests the server never received (connection refused, connect timeout) and 429s are retried for
    every operation. Failures that may have happened after the server acted (a dropped response, a
    read timeout, a 5xx) are retried only for operations that are safe to repeat: reads, run creation
    (its Idempotency-Key makes a repeat return the same run), cancels and checkpoint answers (a repeat
    that finds its own answer already applied returns it)."""

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        asked = parse_retry_after(retry_after)
        if asked is not None:
            return min(asked, self.max_retry_after)
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def retries_error(self, error: Exception, call: Call[Any], attempt: int) -> bool:
        if attempt >= self.max_retries or not isinstance(error, httpx.TransportError):
            return False
        return call.safe or isinstance(error, NOT_SENT)

    def retries_status(self, status: int, call: Call[Any], attempt: int) -> bool:
        if attempt >= self.max_retries or status not in self.retry_statuses:
            return False
        return call.safe or status == 429


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (`120`) or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class Call(Generic[T]):
    """One operation's request and how its successful response becomes a value."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    safe: bool = True  # may be repeated after an ambiguous failure (see RetryPolicy)

    def request_params(self) -> dict[str, Any] | None:
        if not self.params:
            return None
        return {k: v for k, v in self.params.items() if v is not None}


def settings(base_url: str | None, api_key: str | None) -> tuple[str, str | None]:
    """The base URL and API key: the arguments, else AGENT_RUNTIME_URL / AGENT_RUNTIME_API_KEY, else
    the local stack without a key."""
    url = base_url or os.environ.get(URL_ENV) or DEFAULT_URL
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
    return url.rstrip("/"), key


def default_headers(api_key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    headers.update(extra or {})
    return headers


def new_idempotency_key() -> str:
    return f"sdk-{uuid.uuid4()}"


def segment(value: str) -> str:
    """A path segment, percent-encoded."""
    from urllib.parse import quote

    return quote(str(value), safe="")


def model(cls: type[T]) -> Callable[[httpx.Response], T]:
    def parse(response: httpx.Response) -> T:
        return cls.model_validate_json(response.content)  # type: ignore[attr-defined,no-any-return]

    return parse


def json_body(response: httpx.Response) -> Any:
    return response.json()


def until_matcher(until: str | Iterable[str] | Callable[[Run], bool] | None) -> Callable[[Run], bool]:
    """What `runs.wait(until=...)` stops on: a status, several, or a predicate; terminal by default.
    A terminal run always stops the wait: it never changes again."""
    if until is None:
        return lambda run: run.terminal
    if callable(until):
        predicate = until
        return lambda run: predicate(run) or run.terminal
    wanted = {until} if isinstance(until, str) else set(until)
    unknown = wanted - {"queued", "running", "waiting_for_input"} - TERMINAL_STATUSES
    if unknown:
        raise ValueError(f"not run statuses: {sorted(unknown)}")
    return lambda run: run.status in wanted or run.terminal


# How long one GET /v1/runs/{id}/wait asks the server to hold (it allows up to 25 s, under API
# Gateway's 29 s; the client's read timeout is 30 s).
WAIT_HOLD_SECONDS = 20.0
# What a server without GET /v1/runs/{id}/wait answers for it: API Gateway's 403 for a path it doesn't
# know, a 404 from one that routes the path elsewhere, a 405.
NO_WAIT_ENDPOINT = frozenset({403, 404, 405})


@dataclass
class Backoff:
    """The polling intervals of `runs.wait`: first, growing by `factor`, at most `cap`."""

    first: float = 0.2
    factor: float = 1.5
    cap: float = 2.0
    current: float = 0.0

    def next(self) -> float:
        self.current = self.first if not self.current else min(self.cap, self.current * self.factor)
        return self.current


def answer_applied(conflict_checkpoint: Checkpoint | None, decision: str, **expected: Any) -> bool:
    """After a retried answer: is the checkpoint resolved with exactly the answer we sent (the first
    attempt's, whose response was lost)?"""
    if conflict_checkpoint is None or conflict_checkpoint.resolution is None:
        return False
    resolution = conflict_checkpoint.resolution
    if resolution.decision != decision:
        return False
    return all(getattr(resolution, name, None) == value for name, value in expected.items())


@dataclass
class StreamState:
    """Where a resumable stream is: the last event id delivered, the reconnect delay the server asked
    for, and how many reconnects in a row failed."""

    last_id: int
    retry_seconds: float = 1.0
    failures: int = 0
    ended: bool = False

    def headers(self) -> dict[str, str]:
        return {"Accept": "text/event-stream", "Last-Event-ID": str(self.last_id)}

    def accept(self, sse: ServerSentEvent) -> AnyEvent | None:
        """The event to deliver for an SSE message, or None: a repeat (id not after the last one
        delivered), the window's `end`, or nothing to deliver. Sets `ended` on an `end` that follows
        every event."""
        if sse.retry is not None:
            self.retry_seconds = sse.retry / 1000
        if sse.event == "end":
            try:
                last = int(json.loads(sse.data).get("last_event_id", 0))
            except (ValueError, AttributeError):
                last = 0
            # An end past what was delivered would lose events: read on from the last one instead.
            self.ended = last <= self.last_id
            return None
        if not sse.id or not sse.id.isdigit() or not sse.data:
            return None
        event_id = int(sse.id)
        if event_id <= self.last_id:
            return None
        event = parse_event(sse.data)
        self.last_id = event_id
        self.failures = 0
        return event


# -- raw responses ---------------------------------------------------------------------------------
# While a `with_raw_response` call runs, the clients append each successful response here.
CAPTURED: ContextVar[list[httpx.Response] | None] = ContextVar("agent_runtime_captured", default=None)


def capture(response: httpx.Response) -> None:
    captured = CAPTURED.get()
    if captured is not None:
        captured.append(response)


@dataclass(frozen=True)
class RawResponse(Generic[T]):
    """An operation's HTTP response (status, headers such as `x-request-id`) and its parsed value."""

    http_response: httpx.Response
    value: T

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    def parse(self) -> T:
        return self.value


def _raw_result(name: str, captured: list[httpx.Response], value: T) -> RawResponse[T]:
    if not captured:  # a listing or stream: it sends nothing until iterated
        raise TypeError(f"{name} sends no request when called: use with_raw_response on single operations")
    return RawResponse(captured[-1], value)


class RawResource:
    """`client.with_raw_response.<resource>`: the resource's operations returning `RawResponse`."""

    def __init__(self, resource: object) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., RawResponse[Any]]:
        method = getattr(self._resource, name)

        def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            captured: list[httpx.Response] = []
            token = CAPTURED.set(captured)
            try:
                value = method(*args, **kwargs)
            finally:
                CAPTURED.reset(token)
            return _raw_result(name, captured, value)

        return call


class AsyncRawResource:
    """`AsyncClient.with_raw_response.<resource>`: awaited operations returning `RawResponse`."""

    def __init__(self, resource: object) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Awaitable[RawResponse[Any]]]:
        method = getattr(self._resource, name)

        async def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            captured: list[httpx.Response] = []
            token = CAPTURED.set(captured)
            try:
                value = await method(*args, **kwargs)
            finally:
                CAPTURED.reset(token)
            return _raw_result(name, captured, value)

        return call


# -- usage -----------------------------------------------------------------------------------------
def usage_bound(value: str | date | datetime | None) -> str | None:
    """A `from`/`to` of GET /v1/usage: a date, an aware date-time (a naive one is taken as UTC), or
    the string the server parses."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value.isoformat()


def add_usage(total: UsageSummary, page: UsageSummary) -> UsageSummary:
    """Two responses of one window added up (the server sums at most 5,000 runs per response)."""
    summed = {
        name: getattr(total.usage, name) + getattr(page.usage, name)
        for name in type(total.usage).model_fields
    }
    return total.model_copy(
        update={
            "runs": total.runs + page.runs,
            "usage": total.usage.model_copy(update=summed),
            "estimated_cost_usd": total.estimated_cost_usd + page.estimated_cost_usd,
            "truncated": page.truncated,
            "next_cursor": page.next_cursor,
        }
    )

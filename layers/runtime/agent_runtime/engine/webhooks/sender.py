"""One delivery attempt per queue message: sign, POST (with the callback's own headers, which are never
recorded or logged), record, and schedule the next try or settle.

2xx: delivered. Network errors, timeouts, 5xx and 429: retried with exponential backoff and equal
jitter, re-enqueued with DelaySeconds (SQS allows at most 900 s, so longer waits hop through the
queue). A Retry-After can lengthen the wait, never shorten it below the schedule's: the receiver
doesn't set the retry rate. Once the next try would fall after the retry window (24 h by default), or
after webhook_max_attempts, the delivery is `failed` and a copy goes to the dead-letter queue. An
endpoint that keeps failing gets no attempts for a while (breaker.py). Any other status is final:
`failed`, recorded, no retry. Bodies of responses are kept only as a 512-byte excerpt.

The timeouts, the backoff, the attempt limit and the breaker's thresholds are `SenderSettings`, and
the SSRF guard a `UrlGuard`: values the engine gives the `Sender` (read once at the edge).
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from agent_runtime import observability
from agent_runtime.clock import now_iso
from agent_runtime.engine.webhooks.breaker import Breaker
from agent_runtime.engine.webhooks.signing import active
from agent_runtime.engine.webhooks.urls import UnsafeUrl
from agent_runtime.errors import NotFound
from agent_runtime.store.delivery_items import DeliveryRecord

if TYPE_CHECKING:
    from agent_runtime.clock import Clock
    from agent_runtime.config import Settings
    from agent_runtime.engine.webhooks.deliveries import Deliveries
    from agent_runtime.engine.webhooks.queue import WebhookQueue
    from agent_runtime.engine.webhooks.urls import UrlGuard
    from agent_runtime.store import Store

log = logging.getLogger(__name__)

EXCERPT_BYTES = 512
USER_AGENT = "agent-runtime-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    excerpt: str | None
    retry_after: float | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        if self.status_code is None:
            return self.error is not None and not self.error.startswith("refused:")
        return self.status_code == 429 or self.status_code >= 500


@dataclass(frozen=True)
class SenderSettings:
    connect_timeout_seconds: float = 3.0
    read_timeout_seconds: float = 10.0
    backoff_base_seconds: float = 5.0
    backoff_cap_seconds: float = 3600.0
    max_attempts: int = 30
    breaker_failures: int = 10
    breaker_seconds: float = 60.0

    @classmethod
    def of(cls, config: Settings) -> SenderSettings:
        return cls(
            connect_timeout_seconds=config.webhook_connect_timeout_seconds,
            read_timeout_seconds=config.webhook_read_timeout_seconds,
            backoff_base_seconds=config.webhook_backoff_base_seconds,
            backoff_cap_seconds=config.webhook_backoff_cap_seconds,
            max_attempts=config.webhook_max_attempts,
            breaker_failures=config.webhook_breaker_failures,
            breaker_seconds=config.webhook_breaker_seconds,
        )

    @property
    def attempt_budget_seconds(self) -> float:
        """The longest one attempt takes: connect, send, and read the status and an excerpt (the read
        timeout applies per read, so the excerpt loop stops here too)."""
        return self.connect_timeout_seconds + self.read_timeout_seconds + 2

    def backoff(self, attempt_count: int) -> float:
        """Equal jitter: uniform in [d/2, d], d = min(cap, base * 2^(n-1)) after the n-th failed
        attempt. The floor d/2 is what no Retry-After can shorten."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (attempt_count - 1))
        return random.uniform(ceiling / 2, ceiling)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait: a number of seconds, or an HTTP date less `now` (epoch seconds)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def sign(secrets: list[str], delivery: DeliveryRecord, body: str, timestamp: int) -> str:
    from standardwebhooks.webhooks import Webhook

    moment = datetime.fromtimestamp(timestamp, UTC)
    return " ".join(Webhook(secret).sign(delivery.delivery_id, moment, body) for secret in secrets)


def post(
    delivery: DeliveryRecord, body: str, secrets: list[str], guard: UrlGuard, settings: SenderSettings
) -> Outcome:
    started = time.monotonic()

    def outcome(
        code: int | None, error: str | None, excerpt: str | None = None, retry_after: float | None = None
    ) -> Outcome:
        return Outcome(code, error, excerpt, retry_after, int((time.monotonic() - started) * 1000))

    try:
        target = guard.check(delivery.url)
    except UnsafeUrl as error:
        message = str(error)
        # A name that does not resolve now may resolve later; an address we refuse will not change.
        return outcome(None, message if "does not resolve" in message else f"refused: {message}")
    timestamp = int(time.time())
    headers = {
        # The callback's own headers first (validated names: they can't replace any of ours).
        **json.loads(delivery.headers),
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # Only an excerpt is kept: never inflate a compressed (possibly huge) body to get it.
        "Accept-Encoding": "identity",
        "webhook-id": delivery.delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secrets, delivery, body, timestamp),
    }
    timeout = httpx.Timeout(
        settings.read_timeout_seconds,
        connect=settings.connect_timeout_seconds,
        pool=settings.connect_timeout_seconds,
    )
    # Connect to the address guard.check validated; TLS still checks the certificate for the host name.
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with (
            httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False) as client,
            client.stream(
                "POST", target.connect_url, content=body.encode(), headers=headers, extensions=extensions
            ) as response,
        ):
            excerpt = b""
            for chunk in response.iter_raw():
                excerpt += chunk
                if (
                    len(excerpt) >= EXCERPT_BYTES
                    or time.monotonic() - started > settings.attempt_budget_seconds
                ):
                    break
            text = excerpt[:EXCERPT_BYTES].decode("utf-8", errors="replace")
            return outcome(
                response.status_code,
                None,
                text or None,
                parse_retry_after(response.headers.get("retry-after")),
            )
    except httpx.TimeoutException as error:
        return outcome(None, f"timeout: {type(error).__name__}")
    except httpx.InvalidURL as error:  # not an HTTPError: it would fail every attempt, so it is final
        return outcome(None, f"refused: not a valid URL: {str(error)[:200]}")
    except httpx.HTTPError as error:
        return outcome(None, f"network error: {type(error).__name__}: {str(error)[:200]}")


MAX_ATTEMPTS_KEPT = 50


def with_attempt(current: DeliveryRecord, attempt: dict[str, Any]) -> str:
    attempts = [*json.loads(current.attempts), attempt][-MAX_ATTEMPTS_KEPT:]
    return json.dumps(attempts, separators=(",", ":"))


class Sender:
    """Makes the attempt each queue message asks for (functions/workers/webhook_delivery.py)."""

    def __init__(
        self,
        store: Store,
        deliveries: Deliveries,
        queue: WebhookQueue,
        guard: UrlGuard,
        settings: SenderSettings,
        clock: Clock,
    ) -> None:
        self.store = store
        self.deliveries = deliveries
        self.queue = queue
        self.guard = guard
        self.settings = settings
        self.clock = clock  # the retry window, the backoff's next try, the breaker's open time

    def post(self, delivery: DeliveryRecord, body: str, secrets: list[str]) -> Outcome:
        return post(delivery, body, secrets, self.guard, self.settings)

    def attempt(self, message: dict[str, Any]) -> str:
        """Handle one queue message; returns what happened (for logs and tests)."""
        return _attempt(self, message)


def _attempt(sender: Sender, message: dict[str, Any]) -> str:
    queue, settings, store = sender.queue, sender.settings, sender.store

    def now() -> float:
        return sender.clock.now().timestamp()

    try:
        delivery = sender.deliveries.get(str(message["delivery_id"]), None)
    except NotFound:
        return "unknown"
    if (
        delivery.status != "pending"
        or int(message.get("generation", 1)) != delivery.generation
        or int(message.get("attempt", delivery.attempt_count)) != delivery.attempt_count
    ):
        return "stale"  # settled, redelivered, or this attempt was made already (a duplicate message)
    wait = float(message.get("not_before") or 0) - now()
    if wait > 0.5:  # a backoff longer than SQS's 900 s delay: hop again
        queue.enqueue(delivery, math.ceil(wait), float(message["not_before"]))
        return "hop"
    breaker = Breaker(
        store.endpoints,
        delivery.tenant_id,
        delivery.url,
        failures=settings.breaker_failures,
        seconds=settings.breaker_seconds,
        now=now(),
    )
    if (reopens := breaker.open_until()) is not None and now() < delivery.give_up_at:
        # The endpoint's circuit is open: wait for it (the last try of a window that ends meanwhile
        # goes at its end, and settles the delivery as any failed last try does).
        not_before = min(reopens, delivery.give_up_at)
        queue.enqueue(delivery, math.ceil(not_before - now()), not_before)
        return "deferred"
    body: str = store.payloads.load(delivery.payload)
    result = sender.post(delivery, body, active(sender.deliveries.secrets.for_tenant(delivery.tenant_id)))
    count = delivery.attempt_count + 1
    if result.delivered:
        breaker.succeeded()
    elif result.retryable:
        breaker.failed()
    record: dict[str, Any] = {
        "attempt": count,
        "attempted_at": now_iso(),
        "status_code": result.status_code,
        "error": result.error,
        "duration_ms": result.duration_ms,
        "response_excerpt": result.excerpt,
        "next_retry_at": None,
    }
    if result.delivered:
        status, next_at = "delivered", None
    elif result.retryable:
        delay = max(result.retry_after or 0.0, settings.backoff(count))
        next_at = now() + delay
        last = next_at > delivery.give_up_at or count >= settings.max_attempts
        status = "failed" if last else "pending"
        if status == "pending":
            record["next_retry_at"] = _iso(next_at)
    else:
        status, next_at = "failed", None
    updated = store.deliveries.update(
        delivery,
        status=status,
        attempt_count=count,
        attempts=with_attempt(delivery, record),
        next_retry_at=record["next_retry_at"],
    )
    if updated is None:
        return "stale"  # redelivered (or attempted by a duplicate message) meanwhile
    log.info("webhook %s attempt %d: %s", delivery.delivery_id, count, result.status_code or result.error)
    observability.metric(
        observability.WEBHOOK_ATTEMPTS, 1, outcome="retry" if status == "pending" else status
    )
    if status == "pending":
        assert next_at is not None
        queue.enqueue(updated, math.ceil(next_at - now()), next_at)
        return "retry"
    if status == "failed" and result.retryable:
        queue.dead_letter(updated, result.error or f"HTTP {result.status_code}")
        return "dead-lettered"
    return status

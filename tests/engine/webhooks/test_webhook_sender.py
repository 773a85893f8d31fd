"""The webhook sender (engine/webhooks/sender.py): one attempt per queue message, its record, the next
try's schedule (a Retry-After never below the backoff's floor) and the endpoint's circuit breaker.
The POST itself is scripted here (its HTTP is covered against real receivers in tests/engine/webhooks);
the delivery items, the endpoint's health, the signing secret and the queues are moto's."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from agent_runtime.clock import now_iso
from agent_runtime.engine.webhooks import sender
from agent_runtime.engine.webhooks.deliveries import delivery_id
from agent_runtime.store.delivery_items import DeliveryRecord
from tests.clock import ScriptedClock
from tests.engine.conftest import ENVIRONMENT, Tier

URL = "https://hooks.example.com/agent-runtime"
BASE = float(ENVIRONMENT["WEBHOOK_BACKOFF_BASE_SECONDS"])
BREAKER_FAILURES = int(ENVIRONMENT["WEBHOOK_BREAKER_FAILURES"])


class Receiver:
    """Answers each POST with the next scripted (status, Retry-After) and counts them."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, float | None]] = []
        self.posts: list[str] = []

    def __call__(self, delivery: DeliveryRecord, body: str, secrets: list[str]) -> sender.Outcome:
        self.posts.append(body)
        status, retry_after = self.answers.pop(0)
        return sender.Outcome(status, None, None, retry_after, 3)


@pytest.fixture
def receiver(tier: Tier, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    scripted = Receiver()
    monkeypatch.setattr(tier.engine.webhook_sender, "post", scripted)
    yield scripted


def pending(tier: Tier, window_seconds: float = 86400) -> DeliveryRecord:
    run_id = str(uuid.uuid4())
    now = now_iso()
    record = DeliveryRecord(
        delivery_id=delivery_id(run_id, 3),
        run_id=run_id,
        tenant_id=tier.tenant,
        seq=3,
        event_type="run.succeeded",
        url=URL,
        payload=tier.engine.store.payloads.dump(tier.tenant, run_id, "webhook-3", json.dumps({"ok": True})),
        status="pending",
        created_at=now,
        updated_at=now,
        give_up_at=time.time() + window_seconds,
    )
    assert tier.engine.store.deliveries.create(record)
    return record


def attempt(tier: Tier, delivery: DeliveryRecord) -> str:
    """Handle the queue message for the delivery's next attempt."""
    current = tier.engine.store.deliveries.find(delivery.run_id, delivery.seq)
    assert current is not None
    message = {
        "delivery_id": current.delivery_id,
        "generation": current.generation,
        "attempt": current.attempt_count,
    }
    return tier.engine.webhook_sender.attempt(message)


def stored(tier: Tier, delivery: DeliveryRecord) -> DeliveryRecord:
    current = tier.engine.store.deliveries.find(delivery.run_id, delivery.seq)
    assert current is not None
    return current


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_2xx_delivers_once_and_records_the_attempt(tier: Tier, receiver: Receiver) -> None:
    delivery = pending(tier)
    receiver.answers = [(204, None)]
    assert attempt(tier, delivery) == "delivered"
    now = stored(tier, delivery)
    assert (now.status, now.attempt_count, now.next_retry_at) == ("delivered", 1, None)
    assert json.loads(now.attempts)[0]["status_code"] == 204
    assert receiver.posts == ['{"ok": true}']
    # The same message again (SQS delivers at least once): no second POST.
    message = {"delivery_id": delivery.delivery_id, "generation": 1, "attempt": 0}
    assert tier.engine.webhook_sender.attempt(message) == "stale"
    assert len(receiver.posts) == 1


def test_retry_after_zero_never_brings_the_retry_below_the_backoff_floor(
    tier: Tier, receiver: Receiver
) -> None:
    delivery = pending(tier)
    receiver.answers = [(429, 0.0)]
    before = time.time()
    assert attempt(tier, delivery) == "retry"
    now = stored(tier, delivery)
    assert now.status == "pending" and now.next_retry_at is not None
    # After the first failure the wait is uniform in [base/2, base]: never sooner than base/2.
    assert before + BASE / 2 - 0.01 <= epoch(now.next_retry_at) <= time.time() + BASE + 0.01


def test_a_longer_retry_after_is_honoured(tier: Tier, receiver: Receiver) -> None:
    delivery = pending(tier)
    receiver.answers = [(503, 120.0)]
    before = time.time()
    assert attempt(tier, delivery) == "retry"
    next_retry_at = stored(tier, delivery).next_retry_at
    assert next_retry_at is not None and epoch(next_retry_at) >= before + 120 - 0.01


def test_a_4xx_is_final_with_no_retry_and_no_dead_letter(tier: Tier, receiver: Receiver) -> None:
    delivery = pending(tier)
    receiver.answers = [(400, None)]
    assert attempt(tier, delivery) == "failed"
    assert (stored(tier, delivery).status, stored(tier, delivery).next_retry_at) == ("failed", None)
    assert tier.messages(tier.dlq_url) == []


def test_a_failure_past_the_retry_window_settles_failed_and_dead_letters(
    tier: Tier, receiver: Receiver
) -> None:
    delivery = pending(tier, window_seconds=1)  # the next try (>= base/2 away) falls after the window
    receiver.answers = [(500, None)]
    assert attempt(tier, delivery) == "dead-lettered"
    assert stored(tier, delivery).status == "failed"
    [letter] = tier.messages(tier.dlq_url)
    body: dict[str, Any] = json.loads(letter["Body"])
    assert (body["delivery_id"], body["attempt_count"], body["reason"]) == (
        delivery.delivery_id,
        1,
        "HTTP 500",
    )


def test_the_breaker_opens_after_failures_in_a_row_and_defers_without_posting(
    tier: Tier, receiver: Receiver
) -> None:
    deliveries = [pending(tier) for _ in range(BREAKER_FAILURES + 1)]
    receiver.answers = [(503, None)] * BREAKER_FAILURES
    for delivery in deliveries[:BREAKER_FAILURES]:
        assert attempt(tier, delivery) == "retry"
    # The endpoint is open now: the next delivery to it waits, with no request and no attempt used.
    assert attempt(tier, deliveries[-1]) == "deferred"
    assert len(receiver.posts) == BREAKER_FAILURES
    assert stored(tier, deliveries[-1]).attempt_count == 0


def test_failures_that_record_at_once_all_count(tier: Tier) -> None:
    """Attempts that read the endpoint's health before any of them recorded (deliveries failing
    together) each add a failure: before, the first write won and the others were dropped, so N
    deliveries failing at once counted as one and the circuit took N times too many failures to open."""
    from agent_runtime.engine.webhooks.breaker import Breaker

    url = f"https://{uuid.uuid4().hex}.example.com/hooks"
    now = time.time()

    def breaker() -> Breaker:
        return Breaker(
            tier.engine.store.endpoints, tier.tenant, url, failures=BREAKER_FAILURES, seconds=2, now=now
        )

    together = [breaker() for _ in range(BREAKER_FAILURES)]  # all read the same, closed, health
    for attempt_ in together:
        assert attempt_.open_until() is None
        attempt_.failed()
    assert breaker().seen.failures == BREAKER_FAILURES
    assert breaker().open_until() is not None


def test_a_success_closes_the_count_so_failures_must_be_in_a_row(tier: Tier, receiver: Receiver) -> None:
    deliveries = [pending(tier) for _ in range(BREAKER_FAILURES + 2)]
    failures: list[tuple[int, float | None]] = [(503, None)] * (BREAKER_FAILURES - 1)
    # Enough failures in all to open it, but a success between them: the last delivery still goes.
    receiver.answers = [*failures, (200, None), (503, None), (200, None)]
    outcomes = [attempt(tier, delivery) for delivery in deliveries]
    assert outcomes == ["retry"] * (BREAKER_FAILURES - 1) + ["delivered", "retry", "delivered"]
    assert len(receiver.posts) == BREAKER_FAILURES + 2


def test_the_sender_applies_the_settings_it_is_given_not_the_environments(
    tier: Tier, receiver: Receiver
) -> None:
    """The engine gives the sender its values (read once at the edge): a sender built with one attempt
    and a breaker of one failure settles at the first 503, and opens the endpoint's circuit, although
    the environment says 30 attempts and a breaker of 3."""
    engine = tier.engine
    strict = sender.Sender(
        engine.store,
        engine.deliveries,
        engine.webhook_queue,
        engine.url_guard,
        sender.SenderSettings(max_attempts=1, breaker_failures=1, backoff_base_seconds=BASE),
        engine.clock,
    )
    strict.post = receiver  # type: ignore[method-assign]  # the scripted POST, as the fixture does
    first, second = pending(tier), pending(tier)
    receiver.answers = [(503, None)]
    message = {"delivery_id": first.delivery_id, "generation": 1, "attempt": 0}
    assert strict.attempt(message) == "dead-lettered"
    assert (stored(tier, first).status, stored(tier, first).attempt_count) == ("failed", 1)
    message = {"delivery_id": second.delivery_id, "generation": 1, "attempt": 0}
    assert strict.attempt(message) == "deferred"
    assert len(receiver.posts) == 1


def test_the_url_guard_applies_the_exceptions_it_is_given() -> None:
    from agent_runtime.engine.webhooks.urls import UnsafeUrl, UrlGuard

    with pytest.raises(UnsafeUrl, match=r"resolves to 127\.0\.0\.1"):
        UrlGuard().check("http://127.0.0.1:8080/hooks")
    with pytest.raises(UnsafeUrl, match="https"):
        UrlGuard(allowed_hosts=("127.0.0.1",)).check("http://127.0.0.1:8080/hooks")
    assert (
        UrlGuard(allow_http_loopback=True, allowed_hosts=("127.0.0.1",))
        .check("http://127.0.0.1:8080/hooks")
        .connect_url
        == "http://127.0.0.1:8080/hooks"
    )
    with pytest.raises(UnsafeUrl, match="own endpoints"):
        UrlGuard(
            allow_http_loopback=True, allowed_hosts=("127.0.0.1",), denied_local_ports=frozenset({8080})
        ).check("http://127.0.0.1:8080/hooks")


def test_the_next_try_and_the_breakers_open_time_are_read_from_the_senders_clock(
    tier: Tier, receiver: Receiver
) -> None:
    # Given a sender whose clock reads a fixed moment, and a delivery whose window ends an hour later
    clock = ScriptedClock(start=datetime.fromtimestamp(time.time() + 600, UTC))
    strict = tier.engine.clocked(clock).webhook_sender
    strict.post = receiver  # type: ignore[method-assign]
    delivery = pending(tier, window_seconds=3600)
    receiver.answers = [(503, None)]
    # When its attempt fails
    assert strict.attempt({"delivery_id": delivery.delivery_id, "generation": 1, "attempt": 0}) == "retry"
    # Then the next try is due between base/2 and base after that moment, not after the machine's now
    due = epoch(stored(tier, delivery).next_retry_at or "")
    start = clock.now().timestamp()
    assert start + BASE / 2 - 0.01 <= due <= start + BASE + 0.01

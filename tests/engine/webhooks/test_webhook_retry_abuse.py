"""A webhook receiver can't set its own retry rate (issue 21, item 2): `429 Retry-After: 0` (or a past
date) used to bring the retry back at once, 552 POSTs in 20 s from one run. Now a Retry-After can only
lengthen the schedule's delay, a delivery stops after webhook_max_attempts, and an endpoint that keeps
failing gets no attempts while its circuit is open."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime

import pytest

from agent_runtime import config
from agent_runtime.config import settings
from tests.conftest import Api, eventually
from tests.webhook_receiver import receiver

ECHO_DELIVERIES = 3  # run.created, run.started, run.succeeded


def settled(api: Api, run_id: str) -> bool:
    found = api.deliveries(run_id)
    return len(found) == ECHO_DELIVERIES and all(d["status"] != "pending" for d in found)


def most_posts(breaker_failures: int, rounds: int, deliveries: int = ECHO_DELIVERIES) -> int:
    return breaker_failures + (deliveries - 1) + rounds * deliveries


def seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("retry_after", ["0", "Wed, 21 Oct 2015 07:28:00 GMT"], ids=["zero", "past-date"])
def test_retry_after_zero_does_not_bring_the_retry_back_at_once(api: Api, retry_after: str) -> None:
    config = settings()
    with receiver(lambda n: (429, {"Retry-After": retry_after})) as hooks:
        run_id = api.create("echo", {}, callback_url=hooks.url).json()["run_id"]
        api.wait(run_id)
        # The retry window is 8 s in tests: every delivery has given up within it (and the bound).
        eventually(lambda: settled(api, run_id), timeout=30)
        posts = len(hooks.all())
    # Before: hundreds of POSTs within the window. Now each delivery is retried on the schedule's
    # delays, whatever Retry-After said, and the breaker bounds them: the failures that open it, the
    # other deliveries' attempts already under way then, and a round of at most one try per delivery
    # each time it reopens within the window, plus each delivery's last try at the window's end.
    rounds = math.ceil(config.webhook_retry_window_seconds / config.webhook_breaker_seconds)
    assert posts <= most_posts(config.webhook_breaker_failures, rounds), posts
    for delivery in api.deliveries(run_id):
        assert delivery["status"] == "failed"
        for attempt in delivery["attempts"]:
            assert attempt["status_code"] == 429
            if attempt["next_retry_at"] is None:
                continue
            schedule = min(
                config.webhook_backoff_cap_seconds,
                config.webhook_backoff_base_seconds * 2 ** (attempt["attempt"] - 1),
            )
            waited = seconds(attempt["next_retry_at"]) - seconds(attempt["attempted_at"])
            assert waited >= schedule / 2 - 0.01, (attempt, schedule)


def test_a_delivery_stops_after_its_maximum_attempts(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    capped = dataclasses.replace(settings(), webhook_max_attempts=2, webhook_breaker_failures=1000)
    # The settings the edge reads (Engine.default(), in each invocation of the delivery worker).
    monkeypatch.setattr(config, "settings", lambda: capped)
    with receiver(lambda n: 503) as hooks:
        run_id = api.create("echo", {}, callback_url=hooks.url).json()["run_id"]
        api.wait(run_id)
        eventually(lambda: settled(api, run_id), timeout=20)
        posts = len(hooks.all())
    assert posts == 2 * ECHO_DELIVERIES
    for delivery in api.deliveries(run_id):
        assert (delivery["status"], delivery["attempt_count"]) == ("failed", 2)
        assert delivery["attempts"][-1]["next_retry_at"] is None


def test_an_endpoint_that_keeps_failing_gets_no_attempts_while_its_circuit_is_open(api: Api) -> None:
    config = settings()
    # Two runs to one failing endpoint: 6 deliveries, each could try about 8 times in the window.
    with receiver(lambda n: 503) as failing, receiver(lambda n: 204) as healthy:
        runs = [api.create("echo", {}, callback_url=failing.url).json()["run_id"] for _ in range(2)]
        for run_id in runs:
            api.wait(run_id)
        eventually(lambda: all(settled(api, run_id) for run_id in runs), timeout=30)
        failed_posts = len(failing.all())
        # Another endpoint of the same tenant is not held back by it.
        ok = api.create("echo", {}, callback_url=healthy.url).json()["run_id"]
        api.wait(ok)
        eventually(lambda: settled(api, ok), timeout=20)
    attempts = sum(d["attempt_count"] for run_id in runs for d in api.deliveries(run_id))
    assert attempts == failed_posts
    # 10 failures open the circuit for 2 s; then a try per delivery that comes back, each round.
    rounds = math.ceil(config.webhook_retry_window_seconds / config.webhook_breaker_seconds)
    assert failed_posts <= most_posts(config.webhook_breaker_failures, rounds, 2 * ECHO_DELIVERIES)
    assert all(d["status"] == "delivered" and d["attempt_count"] == 1 for d in api.deliveries(ok))

"""The SDK against failures, injected client-side in front of the real local stack (tests/sdk/faults.py):
streams that lose their connection mid-window resume with Last-Event-ID and deliver every event exactly
once; a create whose response was lost is retried with the same Idempotency-Key and makes one run; an
answer whose response was lost is recognised on retry; Retry-After is honoured; what the server may
have acted on is not repeated unless that is safe."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from agent_runtime_client import (
    APIConnectionError,
    AsyncClient,
    Client,
    RetryPolicy,
    ServerError,
)
from tests.e2e.conftest import free_port
from tests.sdk.conftest import ARTICLE, FAST_RETRY
from tests.sdk.faults import AsyncFaults, Faults, Plan, once

pytestmark = pytest.mark.e2e

DISCONNECTS = 12


def _report(label: str, emitted: list[int], delivered: list[int], plan: Plan) -> None:
    lost = sorted(set(emitted) - set(delivered))
    duplicated = len(delivered) - len(set(delivered))
    print(
        f"\n{label}: {len(emitted)} events emitted, {len(delivered)} delivered over {plan.done} forced "
        f"disconnects in {plan.windows} SSE responses: {len(lost)} lost, {duplicated} duplicated"
    )
    assert delivered == emitted, {"lost": lost, "duplicated": duplicated}


def test_a_live_stream_resumes_across_dropped_connections(base_url: str, api_key: str) -> None:
    plan = Plan(drops=DISCONNECTS)
    with Client(base_url, api_key, retry=FAST_RETRY, transport=Faults(plan)) as client:
        # About 60 events over 1.5 s while the stream follows it: windows with several events each.
        run = client.runs.create("busy", {"seconds": 1.5, "per_second": 40})
        delivered = [event.id for event in client.runs.stream(run.run_id)]
        assert client.runs.get(run.run_id).status == "succeeded"
        emitted = [event.id for event in client.runs.events(run.run_id, page_size=500)]
    assert plan.done == DISCONNECTS, f"only {plan.done} disconnects happened in {plan.windows} windows"
    _report("live stream (sync)", emitted, delivered, plan)
    assert delivered == list(range(1, len(emitted) + 1))
    # Every reconnect asked for what came after the last event delivered.
    resumed = [int(r.headers["last-event-id"]) for r in plan.requests if "last-event-id" in r.headers]
    assert resumed[0] == 0 and resumed == sorted(resumed)


def test_a_replayed_stream_resumes_after_every_cut(base_url: str, api_key: str) -> None:
    plan = Plan(drops=DISCONNECTS, keep=(5, 1, 3, 2))
    with Client(base_url, api_key, retry=FAST_RETRY, transport=Faults(plan)) as client:
        run = client.runs.create("busy", {"seconds": 1, "per_second": 50})
        client.runs.wait(run.run_id, timeout=30)
        emitted = [event.id for event in client.runs.events(run.run_id, page_size=7)]
        delivered = [event.id for event in client.runs.stream(run.run_id)]
        # From the middle too: only what follows `after`.
        tail = [event.id for event in client.runs.stream(run.run_id, after=emitted[-3])]
    assert plan.done == DISCONNECTS
    _report("replayed stream (sync)", emitted, delivered, plan)
    assert tail == emitted[-2:]


def test_the_async_stream_resumes_across_dropped_connections(base_url: str, api_key: str) -> None:
    plan = Plan(drops=DISCONNECTS)

    async def scenario() -> tuple[list[int], list[int]]:
        async with AsyncClient(base_url, api_key, retry=FAST_RETRY, transport=AsyncFaults(plan)) as client:
            run = await client.runs.create("busy", {"seconds": 1.5, "per_second": 40})
            delivered = [event.id async for event in client.runs.stream(run.run_id)]
            emitted = [event.id async for event in client.runs.events(run.run_id, page_size=500)]
            return emitted, delivered

    emitted, delivered = asyncio.run(scenario())
    assert plan.done == DISCONNECTS
    _report("live stream (async)", emitted, delivered, plan)


def test_a_create_whose_response_was_lost_makes_one_run(base_url: str, api_key: str) -> None:
    plan = Plan(drops=0, lose_response=once(lambda r: r.method == "POST" and r.url.path == "/v1/runs"))
    with Client(base_url, api_key, retry=FAST_RETRY, transport=Faults(plan)) as client:
        run = client.runs.create("echo", {"n": 1})
        creates = [r for r in plan.requests if r.method == "POST"]
        assert len(creates) == 2  # the lost one and its retry
        keys = {r.headers["idempotency-key"] for r in creates}
        assert len(keys) == 1 and next(iter(keys)).startswith("sdk-")
        assert [r.run_id for r in client.runs.list()] == [run.run_id]  # one run, not two
        # A key the caller gives is the one sent.
        mine = client.runs.create("echo", {"n": 2}, idempotency_key="order-42")
        assert plan.requests[-1].headers["idempotency-key"] == "order-42"
        assert client.runs.create("echo", {"n": 2}, idempotency_key="order-42").run_id == mine.run_id


def test_answers_and_cancels_whose_response_was_lost_are_recognised(base_url: str, api_key: str) -> None:
    answer_lost = once(lambda r: r.method == "POST" and r.url.path.endswith("/approve"))
    cancel_lost = once(lambda r: r.method == "POST" and r.url.path.endswith("/cancel"))
    plan = Plan(drops=0, lose_response=lambda r: answer_lost(r) or cancel_lost(r))
    with Client(base_url, api_key, retry=FAST_RETRY, transport=Faults(plan)) as client:
        run = client.runs.create("approval", ARTICLE)
        client.runs.wait(run.run_id, until="waiting_for_input", timeout=30)
        # The first approve applied; its retry is a 409 showing exactly this answer: that's success.
        checkpoint = client.checkpoints.approve(run.run_id, "review-1", comment="once")
        assert checkpoint.status == "resolved"
        assert checkpoint.resolution is not None and checkpoint.resolution.decision == "approved"
        assert len([r for r in plan.requests if r.url.path.endswith("/approve")]) == 2
        done = client.runs.wait(run.run_id, timeout=30)
        assert done.status == "succeeded"
        resolved = [e for e in client.runs.events(run.run_id) if e.type == "checkpoint.resolved"]
        assert len(resolved) == 1

        slow = client.runs.create("slow", {"steps": 40, "seconds": 0.2})
        cancelled = client.runs.cancel(slow.run_id)
        assert cancelled.status == "cancelled"
        assert len([r for r in plan.requests if r.url.path.endswith("/cancel")]) == 2


def test_retry_after_is_honoured_and_unsafe_calls_are_not_repeated(base_url: str, api_key: str) -> None:
    def throttled(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/v1/workflows" and not throttled.sent:  # type: ignore[attr-defined]
            throttled.sent = True  # type: ignore[attr-defined]
            return httpx.Response(429, headers={"Retry-After": "1"}, request=request)
        if request.url.path == "/v1/webhook-secret/rotate":
            return httpx.Response(503, json={"title": "Unavailable", "status": 503, "detail": "try later"})
        return None

    throttled.sent = False  # type: ignore[attr-defined]
    plan = Plan(drops=0, fake=throttled)
    with Client(base_url, api_key, retry=FAST_RETRY, transport=Faults(plan)) as client:
        started = time.monotonic()
        assert "approval" in [w.name for w in client.workflows.list()]
        assert time.monotonic() - started >= 1.0  # Retry-After, not the 0.05 s backoff
        assert len([r for r in plan.requests if r.url.path == "/v1/workflows"]) == 2
        # A 503 on a rotation may have rotated: not repeated, the error is the caller's to judge.
        with pytest.raises(ServerError) as failed:
            client.webhooks.rotate_secret()
        assert failed.value.status == 503 and failed.value.problem.detail == "try later"
        assert len([r for r in plan.requests if r.url.path == "/v1/webhook-secret/rotate"]) == 1


def test_connection_errors_are_retried_with_backoff_then_raised() -> None:
    policy = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_cap=0.02)
    plan = Plan(drops=0)
    with Client(f"http://127.0.0.1:{free_port()}", retry=policy, transport=Faults(plan)) as client:
        with pytest.raises(APIConnectionError):
            client.runs.get("any")
        # Nothing reached a server: even an unsafe call may go again.
        with pytest.raises(APIConnectionError):
            client.webhooks.rotate_secret()
    assert len(plan.requests) == 6  # 1 + 2 retries each

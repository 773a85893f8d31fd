"""One tenant holding many requests open (waits, SSE windows, blocking sends) can't starve another
(issue 21, item 1): each tenant's held-open requests run on threads of their own, at most
HELD_OPEN_PER_TENANT at once, and one more is a 429 of its own problem type."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import httpx
import pytest

from agent_runtime.engine import Engine
from agent_runtime_local import gateway
from agent_runtime_local.cloud import Resources
from functions import manifest

ATTACK = 60  # held-open requests one tenant sends at once (the review's 60 SSE windows)
BOUND_SECONDS = 20.0
CAP = (
    manifest.HELD_OPEN_PER_TENANT
)  # no request of this test may take longer: a starved one would wait forever


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """wait_run holds its request (and its thread) until the event is set, as a 25 s wait does."""
    release = threading.Event()
    real = gateway.resolve_handler

    def resolve(spec: manifest.FunctionSpec) -> Any:
        if spec.name != "wait_run":
            return real(spec)

        def holding(event: dict[str, Any], context: Any) -> dict[str, Any]:
            release.wait(BOUND_SECONDS)
            return {"statusCode": 200, "body": "{}", "headers": {"Content-Type": "application/json"}}

        return holding

    monkeypatch.setattr(gateway, "resolve_handler", resolve)
    return release


def tenant_key() -> str:
    return Engine.default().api_keys.create(f"t-{uuid.uuid4().hex[:12]}")


def test_a_tenant_holding_requests_open_does_not_starve_another(
    cloud: Resources, held: threading.Event
) -> None:
    busy, quiet = tenant_key(), tenant_key()
    app = gateway.create_app()

    async def attack() -> tuple[list[int], int, int, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://local", timeout=30) as client:
            as_busy = {"Authorization": f"Bearer {busy}"}
            holds = [
                asyncio.create_task(client.get(f"/v1/runs/r{i}/wait", headers=as_busy)) for i in range(ATTACK)
            ]
            # Every request over the tenant's cap is refused at once, while the others are held.
            while len([t for t in holds if t.done()]) < ATTACK - CAP:
                done, _ = await asyncio.wait(
                    [t for t in holds if not t.done()],
                    timeout=BOUND_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                assert done, "the requests over the cap were not refused"
            refused = [t.result() for t in holds if t.done()]
            # With the busy tenant's CAP held open, the quiet tenant is served: a short request, and
            # a held-open one of its own (each tenant has its own threads).
            as_quiet = {"Authorization": f"Bearer {quiet}"}
            short = await asyncio.wait_for(client.get("/v1/workflows", headers=as_quiet), BOUND_SECONDS)
            still_held = len([t for t in holds if not t.done()])
            quiet_wait = asyncio.create_task(client.get("/v1/runs/q/wait", headers=as_quiet))
            await asyncio.sleep(0.2)
            held.set()
            answered = [(await t).status_code for t in holds]
            await quiet_wait
            return answered, short.status_code, still_held, refused[0].json()["type"]

    answered, short, still_held, problem_type = asyncio.run(attack())
    assert short == 200
    assert still_held == CAP  # the quiet tenant was answered while all of them were still held
    assert sorted(answered) == [200] * CAP + [429] * (ATTACK - CAP)
    assert problem_type == "/problems/too-many-open-requests"


def test_the_429_says_why_and_when_to_retry(cloud: Resources, held: threading.Event) -> None:
    key = tenant_key()
    app = gateway.create_app(held_open_per_tenant=1)

    async def two() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://local", timeout=30) as client:
            headers = {"Authorization": f"Bearer {key}"}
            first = asyncio.create_task(client.get("/v1/runs/a/wait", headers=headers))
            await asyncio.sleep(0.2)
            second = await asyncio.wait_for(client.get("/v1/runs/b/wait", headers=headers), BOUND_SECONDS)
            held.set()
            return await first, second

    first, second = asyncio.run(two())
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.headers["content-type"] == "application/problem+json"
    assert second.headers["retry-after"] == "1"
    body = second.json()
    assert body["type"] == "/problems/too-many-open-requests"
    assert "1 requests open" in body["detail"]


def test_every_long_poll_route_is_held_open() -> None:
    """The routes the review found holding a worker 20-25 s are the ones capped."""
    held_open = {spec.name for spec in manifest.FUNCTIONS if spec.holds_open}
    assert {"wait_run", "run_events", "a2a_jsonrpc", "a2a_http"} <= held_open
    assert {name for name, *_ in manifest.ACP_OPERATIONS if "wait" in name or "stream" in name} <= held_open
    assert "create_run" not in held_open and "list_runs" not in held_open

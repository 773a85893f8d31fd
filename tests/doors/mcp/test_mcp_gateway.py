"""The /mcp door behind the local gateway shares every door's keys, tenants and throttle: one tenant's
token bucket counts its MCP requests with its v1 ones, and a throttled MCP request never reaches the
function (the 429 API Gateway answers from the usage plan in the cloud)."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from agent_runtime.engine import Engine
from agent_runtime_local import gateway
from agent_runtime_local.cloud import Resources
from functions.manifest import Throttle
from tests.doors.mcp.conftest import envelope, headers_for


def test_mcp_requests_draw_on_the_tenants_one_token_bucket(cloud: Resources) -> None:
    key = Engine.default().api_keys.create(f"t-{uuid.uuid4().hex[:12]}")
    app = gateway.create_app(tenant_throttle=Throttle(rate_per_second=0.01, burst=2))
    body = envelope("tools/list")
    auth = {"Authorization": f"Bearer {key}"}

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://local"
        ) as client:
            return [
                await client.get("/v1/runs", headers=auth),
                await client.post("/mcp", json=body, headers={**headers_for(body), **auth}),
                await client.post("/mcp", json=body, headers={**headers_for(body), **auth}),
            ]

    first, listed, throttled = asyncio.run(run())
    assert (first.status_code, listed.status_code) == (200, 200)
    assert listed.json()["result"]["tools"]
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1

"""DNS rebinding on the local stack (issue 21, item 8): a web page that rebinds its own name to
127.0.0.1 reaches the loopback server with `Host` (and `Origin`) of its own name. `/_local/api-keys`
compared Origin with that Host, and the gateway checked no Host, so such a page could mint keys and
read tenant `default`. Host is now checked against the bound address and an allow-list."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from agent_runtime_local import gateway
from agent_runtime_local.cloud import Resources

REBOUND = "http://rebind.attacker.example:9000"


def send(app: object, base: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # a loopback client
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            return await client.request(method, path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(call())


@pytest.fixture
def app(cloud: Resources) -> object:
    """The gateway as `agent-runtime dev` makes it on 127.0.0.1."""
    return gateway.create_app(allowed_hosts={"127.0.0.1"})


def test_a_rebinding_page_cannot_mint_a_key(app: object) -> None:
    reply = send(
        app,
        REBOUND,
        "POST",
        "/_local/api-keys",
        json={"tenant": "default"},
        headers={"Origin": REBOUND},
    )
    assert reply.status_code == 403  # before: 201 and a key
    assert reply.headers["content-type"] == "application/problem+json"
    assert "key" not in reply.json()


def test_a_rebinding_page_cannot_read_the_keyless_tenant(app: object) -> None:
    reply = send(app, REBOUND, "GET", "/v1/runs", headers={"Origin": REBOUND})
    assert reply.status_code == 403  # before: 200 and tenant default's runs
    assert reply.json()["type"] == "/problems/host-not-allowed"


@pytest.mark.parametrize("base", ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"])
def test_the_loopback_names_are_served(app: object, base: str) -> None:
    assert send(app, base, "GET", "/v1/workflows").status_code == 200
    created = send(app, base, "POST", "/_local/api-keys", json={"tenant": "rebinding-check"})
    assert created.status_code == 201


def test_an_allowed_host_is_served_and_admin_stays_loopback_only(cloud: Resources) -> None:
    app = gateway.create_app(require_auth=True, allowed_hosts={"0.0.0.0", "devbox.lan"})
    assert send(app, "http://devbox.lan:9000", "GET", "/v1/workflows").status_code == 401  # a key needed
    minted = send(app, "http://devbox.lan:9000", "POST", "/_local/api-keys", json={"tenant": "x"})
    assert minted.status_code == 201  # an allowed name, from a loopback client
    assert send(app, "http://other.lan:9000", "GET", "/v1/workflows").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tenant": "a#b"}, "tenant"),
        ({"tenant": "x" * 65}, "tenant"),
        ({"tenant": "acme", "principal": "ana\r\nadmin: yes"}, "principal"),
        ({"tenant": "acme", "principal": "\u202eanA"}, "principal"),
    ],
    ids=["hash", "long", "crlf", "rlo"],
)
def test_the_key_admin_refuses_an_invalid_tenant_or_principal_with_a_422(
    app: object, body: dict[str, str], field: str
) -> None:
    before = send(app, "http://127.0.0.1:9000", "GET", "/_local/api-keys").json()["data"]
    reply = send(app, "http://127.0.0.1:9000", "POST", "/_local/api-keys", json=body)
    assert reply.status_code == 422, reply.text  # before: 500, or 201 storing the CRLF principal
    assert [e["field"] for e in reply.json()["errors"]] == [field]
    assert send(app, "http://127.0.0.1:9000", "GET", "/_local/api-keys").json()["data"] == before


def test_unknown_keys_are_throttled_per_client_address(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent_runtime.engine import Engine
    from functions.manifest import Throttle

    limit = Throttle(rate_per_second=0.001, burst=5)  # BAD_KEYS is 20, then 1/s: the same, shorter
    monkeypatch.setattr(gateway, "BAD_KEYS", limit)
    good = Engine.default().api_keys.create("bad-key-check")
    app = gateway.create_app(tenant_throttle=Throttle(rate_per_second=1000, burst=1000))

    async def guesses() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9000") as client:
            codes = []
            for n in range(limit.burst + 5):
                reply = await client.get("/v1/runs", headers={"Authorization": f"Bearer ar_guess{n}"})
                codes.append(reply.status_code)
            # Past the limit no key is checked from this address, a good one neither, for a while.
            reply = await client.get("/v1/runs", headers={"Authorization": f"Bearer {good}"})
            codes.append(reply.status_code)
            return codes

    codes = asyncio.run(guesses())
    assert codes == [401] * limit.burst + [429] * 6  # before: 401 every time, unthrottled

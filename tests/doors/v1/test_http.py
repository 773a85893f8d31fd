"""Real HTTP against the local gateway on 127.0.0.1: the README session, SSE resume, races, auth."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from httpx_sse import connect_sse

from agent_runtime.engine import Engine
from tests.e2e.conftest import stream_until_end


def wait_terminal(http: httpx.Client, run_id: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + 20
    while True:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}").json()
        if run["status"] in {"succeeded", "failed", "cancelled", "timed_out"} or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def test_the_readme_session(http: httpx.Client) -> None:
    created = http.post(
        "/v1/runs", json={"workflow": {"name": "echo", "version": "0.1.0"}, "input": {"hello": "world"}}
    )
    assert created.status_code == 201
    run_id = created.json()["run_id"]
    types = stream_until_end(http, f"/v1/runs/{run_id}/events")
    assert types[0] == "run.created"
    assert types[-2:] == ["run.succeeded", "end"]
    run = http.get(f"/v1/runs/{run_id}").json()
    assert run["status"] == "succeeded"
    assert run["output"] == {"hello": "world"}
    schemas = http.get("/v1/workflows/echo/schemas").json()
    assert schemas["schema_hash"].startswith("sha256:")
    assert schemas["input"]["type"] == "object"


def test_sse_resumes_after_a_dropped_connection_with_no_gap_and_no_duplicate(http: httpx.Client) -> None:
    # Given a run that emits events over a few seconds
    run_id = http.post(
        "/v1/runs", json={"workflow": {"name": "slow"}, "input": {"steps": 12, "seconds": 0.1}}
    ).json()["run_id"]
    received: list[int] = []
    last_id: str | None = None
    finished = False
    connections = 0
    # When the client reads two events, drops the connection, and reconnects with Last-Event-ID, repeatedly
    while not finished and connections < 500:
        connections += 1
        headers = {"Last-Event-ID": last_id} if last_id else {}
        with connect_sse(http, "GET", f"/v1/runs/{run_id}/events", headers=headers) as source:
            for count, sse in enumerate(source.iter_sse()):
                if sse.event == "end":
                    finished = True
                    break
                received.append(int(sse.id))
                last_id = sse.id
                if count == 1:
                    break  # drop the connection mid-window
    # Then every event arrived exactly once, in order
    assert finished
    assert received == list(range(1, len(received) + 1))
    assert received[-1] == len(received)  # the last event is run.succeeded
    assert connections > 2


def test_twenty_concurrent_creates_with_one_key_over_http(http: httpx.Client) -> None:
    barrier = threading.Barrier(20)
    body = {"workflow": {"name": "echo"}, "input": {"race": "http"}}

    def create(_: int) -> tuple[int, str]:
        barrier.wait()
        reply = http.post("/v1/runs", json=body, headers={"Idempotency-Key": "http-race"})
        return reply.status_code, reply.json()["run_id"]

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(create, range(20)))
    assert {status for status, _ in results} == {201}
    assert len({run_id for _, run_id in results}) == 1
    assert len(http.get("/v1/runs").json()["data"]) == 1


def test_unknown_path_is_404_and_wrong_method_is_405(http: httpx.Client) -> None:
    missing = http.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = http.delete("/v1/runs")
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "POST"}


def test_bad_api_key_is_401_and_v1_takes_the_key_as_a_bearer_token_only(base_url: str, api_key: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        assert client.get("/v1/runs", headers={"Authorization": "Bearer ar_wrong"}).status_code == 401
        assert client.get("/v1/runs", headers={"Authorization": f"Bearer {api_key}"}).status_code == 200
        # /v1's authorizer is cached per Authorization header (manifest.key_header), as in the cloud
        assert client.get("/v1/runs", headers={"x-api-key": api_key}).status_code == 401


def test_tenants_see_only_their_runs_over_http(base_url: str, http: httpx.Client) -> None:
    run_id = http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {}}).json()["run_id"]
    other_key = Engine.default().api_keys.create("someone-else-" + run_id[:8])
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {other_key}"}) as other:
        assert other.get(f"/v1/runs/{run_id}").status_code == 404
        assert run_id not in json.dumps(other.get("/v1/runs").json())

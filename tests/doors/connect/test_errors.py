"""The Connect door refuses as v1 does, in Connect's error shape: the engine's typed errors as Connect
codes, the gateway's 401/429 as the codes the Connect protocol derives from them, nothing written when
a request is refused, and another tenant's run not found."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from protobuf.wkt import Value

from agent_runtime.connect.gen import agent_runtime_pb as pb
from agent_runtime.connect.gen.agent_runtime_connect import RunServiceClientSync
from agent_runtime.engine import Engine
from agent_runtime_local.cloud import Resources
from agent_runtime_local.gateway import create_app
from functions import manifest
from tests.doors.connect.conftest import Clients
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e


def call(http: httpx.Client, method: str, body: Any, **headers: str) -> httpx.Response:
    return http.post(f"/agent_runtime.v1.{method}", json=body, headers=headers)


def runs_of(http: httpx.Client) -> list[Any]:
    reply = call(http, "RunService/ListRuns", {})
    assert reply.status_code == 200, reply.text
    return list(reply.json().get("data", []))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "workflow.name"),
        ({"workflow": {"name": "Not A Name"}}, "workflow.name"),
        ({"workflow": {"name": "echo", "version": "x" * 65}}, "workflow.version"),
        ({"workflow": {"name": "echo"}, "metadata": {f"k{i}": i for i in range(65)}}, "metadata"),
        ({"workflow": {"name": "approval"}, "input": {"title": ""}}, "input"),
    ],
)
def test_a_bad_create_is_invalid_argument_and_writes_nothing(
    http: httpx.Client, body: dict[str, Any], field: str
) -> None:
    reply = call(http, "RunService/CreateRun", body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "invalid_argument" and field in reply.json()["message"]
    assert runs_of(http) == []


def test_not_json_is_invalid_argument(http: httpx.Client) -> None:
    reply = http.post(
        "/agent_runtime.v1.RunService/GetRun", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400 and reply.json()["code"] == "invalid_argument"


def test_engine_errors_as_connect_codes(clients: Clients) -> None:
    def code(method: Any, request: Any) -> Code:
        with pytest.raises(ConnectError) as refused:
            method(request, headers=clients.auth)
        return refused.value.code

    assert code(clients.runs.get_run, pb.GetRunRequest(run_id="no-such-run")) == Code.NOT_FOUND
    assert code(clients.runs.get_run, pb.GetRunRequest(run_id="")) == Code.INVALID_ARGUMENT
    assert code(clients.runs.get_run, pb.GetRunRequest(run_id="r" * 300)) == Code.INVALID_ARGUMENT
    assert (
        code(clients.runs.wait_run, pb.WaitRunRequest(run_id="x", timeout_seconds=99))
        == Code.INVALID_ARGUMENT
    )
    assert code(clients.runs.list_runs, pb.ListRunsRequest(limit=1000)) == Code.INVALID_ARGUMENT
    assert code(clients.runs.list_runs, pb.ListRunsRequest(cursor="not-a-cursor")) == Code.INVALID_ARGUMENT
    stale = pb.CreateRunRequest(workflow=pb.WorkflowSelector(name="echo"), schema_hash="sha256:old")
    assert code(clients.runs.create_run, stale) == Code.FAILED_PRECONDITION

    # A terminal run can't be cancelled; an idempotency key can't be reused for another request.
    first = pb.CreateRunRequest(
        workflow=pb.WorkflowSelector(name="echo"),
        input=Value.from_python({"message": "hi"}),
        idempotency_key="key-1",
    )
    run = clients.runs.create_run(first, headers=clients.auth).run
    done = clients.runs.wait_run(pb.WaitRunRequest(run_id=run.run_id), headers=clients.auth).run
    assert done.status == pb.RunStatus.SUCCEEDED
    assert code(clients.runs.cancel_run, pb.CancelRunRequest(run_id=run.run_id)) == Code.FAILED_PRECONDITION
    other = pb.CreateRunRequest(
        workflow=pb.WorkflowSelector(name="echo"),
        input=Value.from_python({"message": "bye"}),
        idempotency_key="key-1",
    )
    assert code(clients.runs.create_run, other) == Code.ALREADY_EXISTS
    listed = clients.runs.list_runs(pb.ListRunsRequest(), headers=clients.auth).data
    assert [r.run_id for r in listed] == [run.run_id]


def test_another_tenants_run_is_not_found(clients: Clients, cloud: Resources) -> None:
    run = clients.runs.create_run(
        pb.CreateRunRequest(
            workflow=pb.WorkflowSelector(name="echo"), input=Value.from_python({"message": "a"})
        ),
        headers=clients.auth,
    ).run
    stranger = {"Authorization": f"Bearer {Engine.default().api_keys.create('t-stranger-connect')}"}
    with pytest.raises(ConnectError) as refused:
        clients.runs.get_run(pb.GetRunRequest(run_id=run.run_id), headers=stranger)
    assert refused.value.code == Code.NOT_FOUND


def test_an_unknown_key_is_unauthenticated(clients: Clients) -> None:
    with pytest.raises(ConnectError) as refused:
        clients.runs.list_runs(pb.ListRunsRequest(), headers={"Authorization": "Bearer ar_not-a-key"})
    assert refused.value.code == Code.UNAUTHENTICATED


@pytest.fixture
def throttled_url(cloud: Resources) -> Iterator[str]:
    """A gateway that gives each tenant 1 request a second, burst 2 (as `make dev` gives its own rate)."""
    app = create_app(tenant_throttle=manifest.Throttle(rate_per_second=1, burst=2))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "gateway did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_throttled_tenant_is_unavailable_with_retry_after(throttled_url: str, api_key: str) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    with RunServiceClientSync(throttled_url) as runs:
        codes = []
        for _ in range(4):
            try:
                runs.list_runs(pb.ListRunsRequest(), headers=auth)
                codes.append(None)
            except ConnectError as error:
                codes.append(error.code)
    # The gateway's 429 is what the Connect protocol calls unavailable: the client retries later.
    assert codes[:2] == [None, None] and Code.UNAVAILABLE in codes[2:]
    reply = httpx.post(
        f"{throttled_url}/agent_runtime.v1.RunService/ListRuns", json={}, headers=auth, timeout=10
    )
    assert reply.status_code == 429 and int(reply.headers["Retry-After"]) >= 1


def test_an_idempotency_key_replays_across_v1_and_connect(http: httpx.Client) -> None:
    body = {"workflow": {"name": "echo"}, "input": {"message": "hi", "n": 3}}
    first = http.post("/v1/runs", json=body, headers={"Idempotency-Key": "both-doors"})
    assert first.status_code == 201, first.text
    again = call(http, "RunService/CreateRun", {**body, "idempotencyKey": "both-doors"})
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True and again.json()["run"]["runId"] == first.json()["run_id"]
    other = call(
        http, "RunService/CreateRun", {**body, "input": {"message": "bye"}, "idempotencyKey": "both-doors"}
    )
    assert other.status_code == 409 and other.json()["code"] == "already_exists"
    assert len(runs_of(http)) == 1

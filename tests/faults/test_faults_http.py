"""Faults seen through the gateway over real HTTP: what a client gets when the authorizer or a function
fails, and that repeating the request then works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from agent_runtime.engine import Engine
from agent_runtime_local.faults import Fault, injected
from tests.clock import ScriptedClock


def test_a_throttled_authorizer_is_a_503_to_retry_not_a_401(http: httpx.Client) -> None:
    with injected(Fault("dynamodb:GetItem", function="authorizer")) as (fault,):
        refused = http.get("/v1/runs")
    assert fault.hits == 1
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert http.get("/v1/runs").status_code == 200  # the retry the client is told to make


def test_a_create_whose_store_stays_throttled_is_a_503_and_a_retry_makes_one_run(
    http: httpx.Client,
) -> None:
    body = {"workflow": {"name": "echo"}, "input": {"message": "again"}}
    headers = {"Idempotency-Key": "faulty-create"}
    with injected(Fault("dynamodb:TransactWriteItems", function="create_run")) as (fault,):
        refused = http.post("/v1/runs", json=body, headers=headers)
    assert fault.hits == 1
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    assert http.get("/v1/runs").json()["data"] == []  # nothing was written
    created = http.post("/v1/runs", json=body, headers=headers)
    assert created.status_code == 201
    again = http.post("/v1/runs", json=body, headers=headers)
    assert again.json()["run_id"] == created.json()["run_id"]
    assert len(http.get("/v1/runs").json()["data"]) == 1


def test_a_function_that_dies_after_its_write_is_a_502_and_the_retry_is_answered_once(
    http: httpx.Client,
) -> None:
    body = {"workflow": {"name": "echo"}, "input": {"message": "died"}}
    headers = {"Idempotency-Key": "dying-create"}
    with injected(Fault("dynamodb:TransactWriteItems", function="create_run", kill=True)) as (fault,):
        died = http.post("/v1/runs", json=body, headers=headers)
    assert fault.hits == 1
    assert died.status_code == 502
    # The run was stored before the process died; the client's retry gets it (and starts it).
    replay = http.post("/v1/runs", json=body, headers=headers)
    assert replay.status_code == 201, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    run_id = replay.json()["run_id"]
    assert [r["run_id"] for r in http.get("/v1/runs").json()["data"]] == [run_id]
    # Started by the replay, or (a workflow for the express machine, which can't refuse a second
    # execution of one name) by the reconciler once the workflow's bound is over: a sweep 10 min on.
    Engine.default().new_reconciler(
        grace_seconds=0, clock=ScriptedClock(start=datetime.now(UTC) + timedelta(seconds=600))
    ).sweep()
    wait = http.get(f"/v1/runs/{run_id}/wait", params={"timeout": "20"}).json()
    assert wait["status"] == "succeeded"

"""Runs end to end through the handlers, with moto executing the real run.asl.json."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from agent_runtime import aws
from agent_runtime_local.cloud import REGION, Resources
from tests.conftest import Api, eventually
from tests.workflows.samples import EXECUTIONS

TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}


def test_echo_run_succeeds_with_its_input_as_output(api: Api) -> None:
    # Given an echo run
    created = api.create("echo", {"hello": "world", "n": [1, 2.5, None]}, version="0.1.0")
    assert created.status == 201
    run = created.json()
    assert run["status"] == "queued"
    assert created.headers["Location"] == f"/v1/runs/{run['run_id']}"
    # When the state machine has executed it
    done = api.wait(run["run_id"])
    # Then it succeeded and its output is its input, with a gap-free event sequence
    assert done["status"] == "succeeded"
    assert done["output"] == {"hello": "world", "n": [1, 2.5, None]}
    assert done["workflow"] == {"name": "echo", "version": "0.1.0"}
    events = api.events(run["run_id"])
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events] == [
        "run.created",
        "run.started",
        "step.started",
        "step.completed",
        "run.succeeded",
    ]


def test_version_is_optional_and_the_latest_wins(api: Api) -> None:
    run = api.create("counter", {"name": "a", "count": 2}).json()
    assert run["workflow"] == {"name": "counter", "version": "1.1.0"}
    pinned = api.create("counter", {"name": "a", "count": 2}, version="1.0.0").json()
    assert pinned["workflow"]["version"] == "1.0.0"


def test_steps_share_state_and_results_and_custom_events_are_recorded(api: Api) -> None:
    run = api.create("counter", {"name": "c", "count": 5}).json()
    done = api.wait(run["run_id"])
    assert done["status"] == "succeeded"
    assert done["output"] == {"name": "c", "total": 12}  # 5*2 + 2 steps seen
    types = [e["type"] for e in api.events(run["run_id"])]
    assert "progress.note" in types
    assert types.count("step.completed") == 3


def test_a_raised_exception_fails_the_run_with_its_error(api: Api) -> None:
    run = api.create("failing", {}).json()
    done = api.wait(run["run_id"])
    assert done["status"] == "failed"
    assert done["error"] == {"type": "ValueError", "message": "boom: the tool returned nonsense"}
    types = [e["type"] for e in api.events(run["run_id"])]
    assert types[-2:] == ["step.failed", "run.failed"]


def test_output_not_matching_the_schema_fails_the_run(api: Api) -> None:
    done = api.wait(api.create("bad_output", {}).json()["run_id"])
    assert done["status"] == "failed"
    assert done["error"]["type"] == "OutputValidationError"
    assert "output.total" in done["error"]["message"]


def test_a_retried_step_worker_never_reapplies_a_finished_step(api: Api) -> None:
    # Given a workflow whose second step fails transiently on its first attempt
    run = api.create("counter", {"name": "f", "count": 1, "flaky": True}).json()
    # When the state machine retries the step worker
    done = api.wait(run["run_id"], timeout=30)
    # Then the run succeeds, the first step ran exactly once and the second twice
    assert done["status"] == "succeeded", done
    run_id = run["run_id"]
    assert EXECUTIONS[(run_id, "first")] == 1
    assert EXECUTIONS[(run_id, "second")] == 2
    assert EXECUTIONS[(run_id, "third")] == 1
    completed = [e["data"]["step"] for e in api.events(run_id) if e["type"] == "step.completed"]
    assert completed == ["first", "second", "third"]


def test_the_execution_is_named_after_the_run(api: Api, cloud: Resources) -> None:
    run = api.create("echo", {}).json()
    api.wait(run["run_id"])
    sfn = boto3.client("stepfunctions", region_name=REGION)
    # echo can't wait for a human: its run goes on the express machine (tests/engine/test_express.py)
    arn = cloud.express_state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + run["run_id"]
    execution = sfn.describe_execution(executionArn=arn)
    assert execution["name"] == run["run_id"]
    assert json.loads(execution["input"]) == {"run_id": run["run_id"], "tenant_id": api.tenant}


def test_cancel_stops_a_running_run_and_no_later_step_runs(api: Api) -> None:
    # Given a run of many slow steps that is running
    run = api.create("slow", {"steps": 40, "seconds": 0.1}).json()
    run_id = run["run_id"]
    api.wait(run_id, {"running"})
    eventually(lambda: EXECUTIONS[(run_id, "nap")] >= 2)
    # When it is cancelled
    cancelled = api("POST", f"/v1/runs/{run_id}/cancel")
    assert cancelled.status == 200
    assert cancelled.json()["status"] == "cancelled"
    ran_at_cancel = EXECUTIONS[(run_id, "nap")]
    # Then it stays cancelled, the worker stops after at most the step in flight
    eventually(lambda: api.events(run_id)[-1]["type"] == "run.cancelled", timeout=5)
    import time

    time.sleep(0.5)
    assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "cancelled"
    assert EXECUTIONS[(run_id, "nap")] <= ran_at_cancel + 1
    # And cancelling again is a conflict with the current state
    again = api("POST", f"/v1/runs/{run_id}/cancel")
    assert again.status == 409
    assert again.json()["status_now"] == "cancelled"


def test_cancelling_a_finished_run_is_a_conflict(api: Api) -> None:
    run_id = api.create("echo", {}).json()["run_id"]
    api.wait(run_id)
    reply = api("POST", f"/v1/runs/{run_id}/cancel")
    assert reply.status == 409
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_same_idempotency_key_and_body_returns_the_same_run(api: Api) -> None:
    headers = {"Idempotency-Key": "order-42"}
    first = api.create("echo", {"a": 1}, headers=headers)
    second = api.create("echo", {"a": 1}, headers=headers)
    assert first.status == second.status == 201
    assert first.json()["run_id"] == second.json()["run_id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(api("GET", "/v1/runs").json()["data"]) == 1


def test_same_idempotency_key_with_another_body_is_a_conflict(api: Api) -> None:
    headers = {"Idempotency-Key": "order-43"}
    assert api.create("echo", {"a": 1}, headers=headers).status == 201
    reply = api.create("echo", {"a": 2}, headers=headers)
    assert reply.status == 409
    assert reply.json()["errors"][0]["field"] == "Idempotency-Key"


def test_idempotency_keys_are_per_tenant(api: Api, other_api: Api) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.create("echo", {"a": 1}, headers=headers).json()
    theirs = other_api.create("echo", {"a": 1}, headers=headers).json()
    assert mine["run_id"] != theirs["run_id"]


def test_twenty_concurrent_creates_with_one_key_make_one_run(api: Api, cloud: Resources) -> None:
    barrier = threading.Barrier(20)

    def create() -> tuple[int, str]:
        barrier.wait()
        reply = api.create("echo", {"race": True}, headers={"Idempotency-Key": "race-1"})
        return reply.status, reply.json()["run_id"]

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: create(), range(20)))
    assert {status for status, _ in results} == {201}
    run_ids = {run_id for _, run_id in results}
    assert len(run_ids) == 1
    run_id = run_ids.pop()
    assert api.wait(run_id)["status"] == "succeeded"
    assert [r["run_id"] for r in api("GET", "/v1/runs").json()["data"]] == [run_id]
    sfn = boto3.client("stepfunctions", region_name=REGION)
    executions = sfn.list_executions(stateMachineArn=cloud.express_state_machine_arn)["executions"]
    assert [e["name"] for e in executions].count(run_id) == 1


def test_the_catalog_shows_what_each_workflow_will_ask_a_human(api: Api) -> None:
    catalog = {w["name"]: w for w in api("GET", "/v1/workflows").json()["data"]}
    review = catalog["approval"]["checkpoints"]["review"]
    assert review["type"] == "approval"
    assert "title" in review["payload"]["properties"]
    details = catalog["intake"]["checkpoints"]["details"]
    assert details["type"] == "input"
    assert details["response"]["required"]  # the fields a human must provide
    assert catalog["echo"]["checkpoints"] == {}
    # the same as the version's published schemas, which the schema_hash covers
    (latest,) = api("GET", "/v1/workflows/approval").json()["versions"]
    schemas = api("GET", "/v1/workflows/approval/schemas").json()
    assert latest["checkpoints"] == schemas["checkpoints"] == catalog["approval"]["checkpoints"]


def test_schema_hash_must_match_when_given(api: Api) -> None:
    schemas = api("GET", "/v1/workflows/echo/schemas").json()
    ok = api.create("echo", {}, schema_hash=schemas["schema_hash"])
    assert ok.status == 201
    stale = api.create("echo", {}, schema_hash="sha256:" + "0" * 64)
    assert stale.status == 409
    assert stale.json()["schema_hash"] == schemas["schema_hash"]


def test_runs_of_another_tenant_are_invisible(api: Api, other_api: Api) -> None:
    run_id = api.create("echo", {"secret": 1}).json()["run_id"]
    assert other_api("GET", f"/v1/runs/{run_id}").status == 404
    assert other_api("GET", f"/v1/runs/{run_id}/events").status == 404
    assert other_api("POST", f"/v1/runs/{run_id}/cancel").status == 404
    assert other_api("GET", "/v1/runs").json()["data"] == []


def test_list_runs_pages_newest_first_and_filters(api: Api) -> None:
    ids = [api.create("echo", {"i": i}).json()["run_id"] for i in range(5)]
    failed = api.create("failing", {}).json()["run_id"]
    for run_id in [*ids, failed]:
        api.wait(run_id)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api("GET", "/v1/runs", query=query).json()
        seen.extend(r["run_id"] for r in page["data"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [failed, *reversed(ids)]
    by_status = api("GET", "/v1/runs", query={"status": "failed"}).json()["data"]
    assert [r["run_id"] for r in by_status] == [failed]
    by_workflow = api("GET", "/v1/runs", query={"workflow": "echo"}).json()["data"]
    assert len(by_workflow) == 5
    both = api("GET", "/v1/runs", query={"workflow": "echo", "status": "failed"}).json()["data"]
    assert both == []


def test_list_runs_rejects_bad_queries(api: Api) -> None:
    assert api("GET", "/v1/runs", query={"status": "done"}).status == 400
    assert api("GET", "/v1/runs", query={"limit": "0"}).status == 400
    assert api("GET", "/v1/runs", query={"limit": "abc"}).status == 400
    assert api("GET", "/v1/runs", query={"cursor": "not-a-cursor"}).status == 400
    run_ids_cursor = api("GET", "/v1/runs", query={"limit": "1"}).json()["next_cursor"]
    if run_ids_cursor:  # a cursor from one listing can't be replayed on another
        assert api("GET", "/v1/runs", query={"cursor": run_ids_cursor, "status": "failed"}).status == 400


def test_a_throttled_aws_call_is_retried_by_the_state_machine(api: Api, cloud: Resources) -> None:
    # Given DynamoDB throttles, once, the commit that completes the step of a "throttled" run
    throttled: list[str] = []

    def throttle_once(params: dict[str, Any], model: Any, **_: Any) -> None:
        items = json.dumps(params.get("TransactItems", []))
        if not throttled and "respond_after_throttling" in items and "step.completed" in items:
            throttled.append(model.name)
            error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
            raise ClientError(error, model.name)  # type: ignore[arg-type]

    events = aws.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", throttle_once)
    try:
        run_id = api.create("throttled", {"n": 1}).json()["run_id"]
        # When the step worker fails with TransientAwsError and Step Functions retries it
        done = api.wait(run_id, timeout=30)
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", throttle_once)
    # Then the run succeeded with its step completed once, after one failed and retried task
    assert throttled == ["TransactWriteItems"]
    assert (done["status"], done["output"]) == ("succeeded", {"n": 1})
    assert [e["type"] for e in api.events(run_id)].count("step.completed") == 1
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = cloud.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + run_id
    history = sfn.get_execution_history(executionArn=arn)["events"]
    failures = [h["taskFailedEventDetails"]["error"] for h in history if h["type"] == "TaskFailed"]
    assert failures == ["TransientAwsError"]


def test_wait_returns_the_run_once_it_needs_a_human_or_ends(api: Api) -> None:
    # An approval run: wait returns when it asks a human, with no polling by the client
    run_id = api.create("approval", {"title": "t", "points": ["p"], "reviewer": "ana"}).json()["run_id"]
    waited = api("GET", f"/v1/runs/{run_id}/wait", query={"timeout": "20"})
    assert waited.status == 200 and waited.json()["status"] == "waiting_for_input"
    # A run that is still running at the timeout comes back as it is
    slow = api.create("busy", {"seconds": 3, "per_second": 10}).json()["run_id"]
    assert api("GET", f"/v1/runs/{slow}/wait", query={"timeout": "0"}).json()["status"] in {
        "queued",
        "running",
    }
    assert api("GET", f"/v1/runs/{slow}/wait", query={"timeout": "20"}).json()["status"] == "succeeded"
    # A timeout out of bounds names the parameter
    bad = api("GET", f"/v1/runs/{slow}/wait", query={"timeout": "99"})
    assert bad.status == 400 and bad.json()["errors"][0]["field"] == "timeout"


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [
        ("exit", "SystemExit"),
        ("interrupt", "KeyboardInterrupt"),
        ("swallow", "SuspensionSwallowed"),
        ("nan", "ValueError"),
        ("forged", "ValueError"),
        ("deep", "ValueError"),
    ],
)
def test_a_misbehaving_step_ends_its_run_failed_with_a_clear_error(
    api: Api, kind: str, error_type: str
) -> None:
    run_id = api.create("misbehaving", {"kind": kind}).json()["run_id"]
    run = api.wait(run_id, timeout=30)
    assert run["status"] == "failed", run
    assert run["error"]["type"] == error_type
    # Nothing is left waiting: a swallowed suspension's checkpoint is closed with the run.
    pending = api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"]
    assert all(c["status"] != "pending" for c in pending)
    # A forged event type never reaches a stream: no frame but the run's own.
    sse = api("GET", f"/v1/runs/{run_id}/events", headers={"Accept": "text/event-stream"}).text
    assert not [line for line in sse.splitlines() if line.startswith(("id: 999", "event: run.succeeded"))]


def test_a_body_nested_too_deeply_is_refused_before_anything_is_written(api: Api) -> None:
    deep: Any = []
    for _ in range(255):
        deep = [deep]
    for input_value, extra in (({"a": deep}, {}), ({}, {"metadata": {"a": deep}})):
        reply = api.create("echo", input_value, **extra)
        assert reply.status == 422, reply.text
        assert reply.json()["errors"][0]["field"] == "body"
    # Nothing was stored: the tenant's listing is empty and answers 200.
    listing = api("GET", "/v1/runs")
    assert listing.status == 200 and listing.json()["data"] == []


def test_runs_filter_by_metadata(api: Api) -> None:
    a = api.create("echo", {}, metadata={"team": "a", "env": "prod"}).json()["run_id"]
    api.create("echo", {}, metadata={"team": "b"})
    api.create("echo", {})
    api.create("echo", {}, metadata={"nested": {"team": "a"}})  # the pair, but not at the top level
    listed = api("GET", "/v1/runs", query={"metadata.team": "a"}).json()
    assert [r["run_id"] for r in listed["data"]] == [a]
    both = api("GET", "/v1/runs", query={"metadata.team": "a", "metadata.env": "prod"}).json()["data"]
    assert [r["run_id"] for r in both] == [a]
    assert api("GET", "/v1/runs", query={"metadata.team": "a", "metadata.env": "dev"}).json()["data"] == []
    bad = api("GET", "/v1/runs", query={"metadata.bad key": "x"})
    assert bad.status == 400 and bad.json()["errors"][0]["field"] == "metadata.bad key"

"""Faults injected into the AWS calls of echo, approval and ACP thread runs: every run ends terminal
or stays resumable, event ids stay gap-free, no checkpoint resolves twice, no webhook is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent_runtime.engine import Engine
from agent_runtime.engine.reconcile import Sweep
from agent_runtime_local import permissions
from agent_runtime_local.faults import Fault, injected
from functions import manifest
from tests.clock import ScriptedClock
from tests.conftest import Api, eventually
from tests.webhook_receiver import receiver

DOC_INPUT = {"title": "Q4 plan", "points": ["ship it"], "reviewer": "ana"}


def sweep() -> Sweep:
    """The reconciler's sweep as it would run ten minutes from now, with no grace (an echo run's first
    execution, on the express machine, is waited out for its workflow's bound), held to the reconciler
    function's grants."""
    with permissions.running(manifest.by_name("reconciler")):
        return (
            Engine.default()
            .new_reconciler(
                grace_seconds=0, clock=ScriptedClock(start=datetime.now(UTC) + timedelta(seconds=600))
            )
            .sweep()
        )


def gap_free(api: Api, run_id: str) -> list[dict[str, Any]]:
    events = api.events(run_id)
    assert [e["id"] for e in events] == list(range(1, len(events) + 1)), [e["id"] for e in events]
    return events


def test_a_step_commit_throttled_once_is_retried_and_the_run_succeeds(api: Api) -> None:
    with injected(Fault("dynamodb:TransactWriteItems", function="step_worker")) as (fault,):
        run_id = api.create("echo", {"message": "hi"}).json()["run_id"]
        run = api.wait(run_id)
    assert fault.hits == 1
    assert run["status"] == "succeeded"
    assert run["output"] == {"message": "hi"}
    gap_free(api, run_id)


def test_a_step_worker_killed_after_its_commit_is_retried_from_its_last_step(api: Api) -> None:
    created = api.create("counter", {"name": "n", "count": 2})
    run_id = created.json()["run_id"]
    with injected(Fault("dynamodb:TransactWriteItems", function="step_worker", match=run_id, kill=True)) as (
        fault,
    ):
        run = api.wait(run_id)
    assert fault.hits == 1
    assert run["status"] == "succeeded", run
    gap_free(api, run_id)


def approval_waiting(api: Api) -> str:
    """An approval run parked on its checkpoint: the execution waits on a stored task token."""
    run_id: str = api.create("approval", DOC_INPUT).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    checkpoints = Engine.default().store.checkpoints
    eventually(lambda: bool(checkpoints.get(run_id, "review-1").task_token))
    return run_id


def test_an_artifact_write_throttled_twice_is_retried_and_the_run_succeeds(api: Api) -> None:
    run_id = approval_waiting(api)
    with injected(Fault("s3:PutObject", function="step_worker", times=1)) as (fault,):
        approved = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
        assert approved.status == 200
        run = api.wait(run_id)
    assert fault.hits == 1
    assert run["status"] == "succeeded"
    assert len(api("GET", f"/v1/runs/{run_id}/artifacts").json()["data"]) == 1
    gap_free(api, run_id)


def test_a_checkpoint_worker_killed_after_storing_its_token_parks_again_and_resolves_once(api: Api) -> None:
    run_id = api.create("approval", DOC_INPUT).json()["run_id"]
    with injected(Fault("dynamodb:UpdateItem", function="checkpoint_worker", match=run_id, kill=True)) as (
        fault,
    ):
        assert fault.hits <= 1
        api.wait(run_id, {"waiting_for_input"})
        # the killed invocation is retried by the state machine and parks on a fresh token
        first = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
        second = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
    assert (first.status, second.status) == (200, 409)
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    events = gap_free(api, run_id)
    assert [e["type"] for e in events].count("checkpoint.resolved") == 1


def test_resuming_a_parked_run_throttled_still_records_the_answer_once(api: Api) -> None:
    run_id = approval_waiting(api)
    with injected(Fault("states:SendTaskSuccess", times=None)) as (fault,):
        first = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
        second = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
    assert fault.hits >= 1
    # The answer is durable the moment it is committed: the approver is told so, once.
    assert (first.status, second.status) == (200, 409), (first.text, second.text)
    assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "running"  # parked on the answer
    assert sweep().resumed == [run_id]
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert [e["type"] for e in gap_free(api, run_id)].count("checkpoint.resolved") == 1


def test_a_run_whose_execution_could_not_start_is_started_later(api: Api) -> None:
    with injected(Fault("states:StartExecution", times=None)) as (fault,):
        created = api.create("echo", {"message": "later"}, headers={"Idempotency-Key": "k-start"})
    assert fault.hits >= 1
    # Stored, not started: the client is told to retry (503) or got the run (201); either way it ends.
    assert created.status in (201, 503), created.text
    runs = api("GET", "/v1/runs").json()["data"]
    assert len(runs) == 1 and runs[0]["status"] == "queued"
    assert runs[0]["run_id"] in sweep().redriven
    run = api.wait(runs[0]["run_id"])
    assert run["status"] == "succeeded"


def test_an_acp_thread_run_with_its_commit_throttled_keeps_the_thread_consistent(api: Api) -> None:
    from agent_runtime.acp.agents import agent_id
    from agent_runtime.workflows.registry import registry

    echo_agent = agent_id(registry().get("echo_agent"))
    thread_id = api("POST", "/threads", body={}).json()["thread_id"]
    body = {"agent_id": echo_agent, "input": {"messages": [{"type": "human", "content": "one"}]}}
    with injected(Fault("dynamodb:TransactWriteItems", function="step_worker", times=1)) as (fault,):
        reply = api("POST", f"/threads/{thread_id}/runs/wait", body=body).json()
    assert fault.hits == 1
    assert reply["run"]["status"] == "success"
    state = api("GET", f"/threads/{thread_id}").json()
    assert state["status"] == "idle"
    assert [m["content"] for m in state["messages"]] == ["one", "one"]


def test_webhooks_survive_a_throttled_queue_and_a_killed_dispatcher(api: Api) -> None:
    """The dispatcher's SendMessage throttled, then the dispatcher dying after queueing: its stream
    batch is retried, every event arrives, and the delivery log holds one delivery per event."""
    api("POST", "/v1/webhook-secret/rotate")
    with (
        receiver() as hooks,
        injected(
            Fault("sqs:SendMessage", function="webhook_dispatcher", times=1),
            Fault("sqs:SendMessage", function="webhook_dispatcher", times=1, kill=True),
        ) as (throttled, killed),
    ):
        run_id = api.create("echo", {"message": "hooks"}, callback_url=hooks.url).json()["run_id"]
        api.wait(run_id)
        eventually(lambda: len({r.webhook_id for r in hooks.accepted()}) == 3, timeout=20)
        # (a delivery is recorded delivered after its receiver answered: a moment after it was heard)
        eventually(lambda: all(d["status"] != "pending" for d in api.deliveries(run_id)), timeout=10)
    assert (throttled.hits, killed.hits) == (1, 1)
    listed = api.deliveries(run_id)
    assert [d["event_type"] for d in listed] == ["run.created", "run.started", "run.succeeded"]
    assert all(d["status"] == "delivered" for d in listed)
    # At least once, under one webhook-id per event: a receiver deduplicating on it sees each once.
    ids_by_event: dict[int, set[str]] = {}
    for request in hooks.accepted():
        ids_by_event.setdefault(request.json["event_id"], set()).add(request.webhook_id)
    assert sorted(ids_by_event) == sorted(d["event_id"] for d in listed)
    assert all(len(ids) == 1 for ids in ids_by_event.values())

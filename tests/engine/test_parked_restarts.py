"""A person's pending approval survives any number of restarts (issue 21, item 5): every local restart
loses every execution, and the reconciler used to count each re-drive of a run parked on a checkpoint
against its limit, failing it `ExecutionLost` (and cancelling its checkpoint) after the 4th."""

from __future__ import annotations

from agent_runtime.config import settings
from agent_runtime.engine import Engine
from tests.conftest import Api, eventually
from tests.engine.test_reconciler import engine, execution_status, reconciler, vanish  # noqa: F401

RESTARTS = 6


def test_a_run_waiting_for_a_person_survives_more_restarts_than_the_redrive_limit(
    api: Api,
    engine: Engine,  # noqa: F811
) -> None:
    assert settings().reconcile_max_redrives < RESTARTS
    body = {"title": "Q4", "points": ["ship"], "reviewer": "ana"}
    run_id = api.create("approval", body).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    sweeper = reconciler(engine)
    execution = run_id
    for restart in range(1, RESTARTS + 1):
        eventually(lambda name=execution: execution_status(engine, name) == "RUNNING")
        eventually(lambda: bool(engine.store.checkpoints.get(run_id, "review-1").task_token))
        token = engine.store.checkpoints.get(run_id, "review-1").task_token
        vanish(engine, execution)  # what a restart of the local stack does to it
        done = sweeper.sweep()
        assert run_id in done.redriven, (restart, done)
        execution = f"{run_id}.r{restart}"
        eventually(lambda old=token: engine.store.checkpoints.get(run_id, "review-1").task_token != old)
        assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "waiting_for_input"
    checkpoint = api("GET", f"/v1/runs/{run_id}/checkpoints/review-1").json()
    assert checkpoint["status"] == "pending"
    assert (
        api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={"comment": "ok"}).status == 200
    )
    run = api.wait(run_id)
    assert (run["status"], run["output"]["comment"]) == ("succeeded", "ok")

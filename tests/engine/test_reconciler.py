"""The reconciler against moto executing the real state machine: runs whose execution was stopped, failed
or vanished are re-driven from their last finished step (or failed once they keep losing it), a run
waiting for a human parks again and is answered exactly once, two sweeps at once drive a run once, and
a pending webhook delivery whose queue message was lost is enqueued again and delivered once."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from agent_runtime import aws
from agent_runtime.clock import now_iso
from agent_runtime.config import settings
from agent_runtime.engine import Engine
from agent_runtime.engine.execute import execute_steps as real_execute_steps
from agent_runtime.engine.model import ACTIVE_STATUSES
from agent_runtime.engine.orchestration import Orchestrator
from agent_runtime.engine.outcome import outcome
from agent_runtime.engine.reconcile import Reconciler
from agent_runtime.engine.webhooks.deliveries import delivery_id
from agent_runtime.store.delivery_items import DeliveryRecord
from agent_runtime.store.event_items import NewEvent
from agent_runtime.store.payloads import to_json
from agent_runtime.store.run_items import RunItems, RunRecord, RunStatus
from agent_runtime.workflows import RetryableStepError, StepContext, Workflow
from agent_runtime.workflows.registry import registry
from agent_runtime_local import pollers
from agent_runtime_local.cloud import ACCOUNT, REGION, Resources
from agent_runtime_local.lambda_bridge import LocalLambdaContext, resolve_handler
from functions import manifest
from functions.workers import step_worker
from tests.conftest import Api, eventually
from tests.webhook_receiver import receiver


class Note(BaseModel):
    note: str = "hi"


# The gated step's first attempt, for an input note in GATES, blocks until the test opens the gate,
# then dies (as a worker does whose execution is gone: nothing retries it).
GATES: dict[str, threading.Event] = {}
ENTERED: dict[str, threading.Event] = {}
DIED: dict[str, threading.Event] = {}
ATTEMPTS: Counter[str] = Counter()

gated = Workflow("reconcile-gated", "1.0.0", input_model=Note, output_model=Note, description="A gate.")


@gated.step
def before(ctx: StepContext) -> dict[str, Any]:
    return {"note": ctx.input.note}


@gated.step
def gate(ctx: StepContext) -> dict[str, Any]:
    key = ctx.input.note
    ATTEMPTS[key] += 1
    if key in GATES and ATTEMPTS[key] == 1:
        ENTERED[key].set()
        GATES[key].wait(10)
        DIED[key].set()
        raise RetryableStepError("the worker died with its execution")
    return {"note": ctx.input.note}


@gated.step
def after(ctx: StepContext) -> dict[str, Any]:
    return {"note": ctx.results["gate"]["note"] + "!"}


@pytest.fixture(scope="module", autouse=True)
def gated_workflow(cloud: Resources) -> None:
    if gated.name not in registry().names():
        registry().register(gated)


@pytest.fixture
def engine(cloud: Resources) -> Engine:
    return Engine.default()


def reconciler(engine: Engine, **overrides: Any) -> Reconciler:
    # Deliveries are left alone unless a test asks: other tests' pending ones are none of these tests'.
    return engine.new_reconciler(**{"grace_seconds": 0, "delivery_grace_seconds": 3600, **overrides})


# For runs marked so, the step worker ends without doing anything and says it is done, so the
# execution succeeds while the run stays queued: an execution that ended without ending its run (as
# one whose worker's writes were lost does).
HEALED: set[str] = set()


@pytest.fixture(autouse=True)
def echo_on_standard(monkeypatch: pytest.MonkeyPatch) -> None:
    """These runs go on the standard machine, whose executions the reconciler sees; on the express
    machine (echo declares 60 s) they are waited out for their bound (tests/engine/test_express.py)."""
    monkeypatch.setattr(registry().get("echo"), "max_duration_seconds", None)


@pytest.fixture
def crashing_worker(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:

    def execute_steps(engine: Engine, run_id: str, remaining_ms: Any) -> Any:
        record = engine.store.runs.get(run_id)
        if json.loads(record.metadata).get("worker") == "crashes" and run_id not in HEALED:
            return outcome("done")
        return real_execute_steps(engine, run_id, remaining_ms)

    monkeypatch.setattr(step_worker, "execute_steps", execute_steps)


def execution_status(engine: Engine, name: str) -> str | None:
    return engine.orchestrator.status(name)


def wait_execution_ended(engine: Engine, name: str) -> str:
    eventually(lambda: execution_status(engine, name) not in {"RUNNING", None})
    status = execution_status(engine, name)
    assert status is not None
    return status


def vanish(engine: Engine, name: str) -> None:
    """Make an execution disappear, as a restart of the local stack does (moto's StopExecution does
    not end a parked execution, as AWS's does)."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends[ACCOUNT][REGION]
    machine = backend.describe_state_machine(engine.orchestrator.state_machine_arn)
    execution = next(e for e in machine.executions if e.name == name)
    aws.stepfunctions().stop_execution(executionArn=execution.execution_arn)  # ends its thread's wait
    machine.executions.remove(execution)
    assert execution_status(engine, name) is None


def stored_run(engine: Engine, tenant: str, workflow: str = "echo", input: Any = None) -> str:
    """A run stored as `create` stores it, whose execution never started (the creating request died
    right after its write, or the local stack restarted and lost every execution)."""
    chosen = engine.workflows.get(workflow)
    run_id, now = str(uuid.uuid4()), now_iso()
    record = RunRecord(
        run_id=run_id,
        tenant_id=tenant,
        status="queued",
        workflow_name=chosen.name,
        workflow_version=chosen.version,
        schema_hash=chosen.schema_hash,
        input=to_json({"note": "stored"} if input is None else input),
        config="{}",
        metadata="{}",
        callback_url=None,
        created_at=now,
        updated_at=now,
    )
    engine.store.runs.create(record, NewEvent("run.created", {"status": "queued"}), None)
    return run_id


def test_a_running_run_whose_execution_was_stopped_behind_its_back_is_redriven_and_succeeds(
    api: Api, engine: Engine
) -> None:
    # Given a run in its second step when its execution is stopped directly, and its worker dies
    key = f"gate-{uuid.uuid4().hex}"
    GATES[key], ENTERED[key], DIED[key] = threading.Event(), threading.Event(), threading.Event()
    run_id = api.create("reconcile-gated", {"note": key}).json()["run_id"]
    assert ENTERED[key].wait(10)
    aws.stepfunctions().stop_execution(executionArn=engine.orchestrator.execution_arn(run_id))
    GATES[key].set()
    assert DIED[key].wait(10)
    # (AWS says ABORTED at once; moto, once the task in flight returns, names its error: FAILED)
    assert wait_execution_ended(engine, run_id) in {"ABORTED", "FAILED"}
    assert ATTEMPTS[key] == 1
    assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "running"
    # When the reconciler sweeps
    done = reconciler(engine).sweep()
    # Then it re-drives the run under a new execution, which resumes at the step that never finished
    assert run_id in done.redriven
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert run["output"] == {"note": key + "!"}
    assert ATTEMPTS[key] == 2
    record = engine.store.runs.get(run_id)
    assert (record.execution, record.redrives) == (f"{run_id}.r1", 1)
    # (the run is written succeeded by its last step, a moment before its execution ends)
    assert wait_execution_ended(engine, f"{run_id}.r1") == "SUCCEEDED"
    started = [e["data"]["step"] for e in api.events(run_id) if e["type"] == "step.started"]
    assert started == ["before", "gate", "gate", "after"]  # the finished step was not run again


def test_a_run_whose_execution_ended_without_ending_it_is_redriven_from_its_state(
    api: Api, engine: Engine, crashing_worker: None
) -> None:
    # Given a run whose execution ended without the run ending
    run_id = api.create("echo", {"n": 1}, metadata={"worker": "crashes"}).json()["run_id"]
    assert wait_execution_ended(engine, run_id) == "SUCCEEDED"
    assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "queued"
    # When the cause is gone and the reconciler sweeps
    HEALED.add(run_id)
    done = reconciler(engine).sweep()
    # Then the run is re-driven and succeeds
    assert run_id in done.redriven
    run = api.wait(run_id)
    assert (run["status"], run["output"]) == ("succeeded", {"n": 1})


def test_a_run_that_keeps_losing_its_execution_fails_with_a_clear_error(
    api: Api, engine: Engine, crashing_worker: None
) -> None:
    # Given a run whose every execution ends without ending it
    run_id = api.create("echo", {"n": 2}, metadata={"worker": "crashes"}).json()["run_id"]
    wait_execution_ended(engine, run_id)
    sweeper = reconciler(engine, max_redrives=1)
    # When the reconciler re-drives it once, and that execution fails too
    assert run_id in sweeper.sweep().redriven
    assert wait_execution_ended(engine, f"{run_id}.r1") == "SUCCEEDED"
    # Then the next sweep fails the run instead of re-driving it again
    assert run_id in sweeper.sweep().failed
    run = api.wait(run_id)
    assert run["status"] == "failed"
    assert run["error"]["type"] == "ExecutionLost"
    assert "lost 2 times" in run["error"]["message"]
    assert f"{run_id}.r1 SUCCEEDED" in run["error"]["message"]
    # And a later sweep leaves the ended run alone
    after = sweeper.sweep()
    assert run_id not in after.redriven + after.failed
    assert execution_status(engine, f"{run_id}.r2") is None


def test_a_waiting_run_whose_execution_vanished_parks_again_and_is_answered_exactly_once(
    api: Api, engine: Engine
) -> None:
    # Given a run waiting for approval whose parked execution is gone
    body = {"title": "Q4", "points": ["ship"], "reviewer": "ana"}
    run_id = api.create("approval", body).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    eventually(lambda: bool(engine.store.checkpoints.get(run_id, "review-1").task_token))
    old_token = engine.store.checkpoints.get(run_id, "review-1").task_token
    vanish(engine, run_id)
    # When the reconciler sweeps
    assert run_id in reconciler(engine).sweep().redriven
    # Then the new execution parks on the same checkpoint with a fresh task token
    eventually(lambda: engine.store.checkpoints.get(run_id, "review-1").task_token != old_token)
    assert execution_status(engine, f"{run_id}.r1") == "RUNNING"
    assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "waiting_for_input"
    # And it is answered exactly once, resuming the new execution
    first = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={"comment": "ok"})
    second = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={"comment": "again"})
    assert (first.status, second.status) == (200, 409)
    run = api.wait(run_id)
    assert (run["status"], run["output"]["comment"]) == ("succeeded", "ok")
    types = Counter(e["type"] for e in api.events(run_id))
    assert (types["checkpoint.created"], types["checkpoint.resolved"], types["run.succeeded"]) == (1, 1, 1)
    # (the run is written succeeded by its last step, a moment before its execution ends)
    assert wait_execution_ended(engine, f"{run_id}.r1") == "SUCCEEDED"


def test_a_parked_run_is_left_alone(api: Api, engine: Engine) -> None:
    body = {"title": "Q4", "points": ["ship"], "reviewer": "ana"}
    run_id = api.create("approval", body).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    done = reconciler(engine).sweep()
    assert run_id not in done.redriven + done.failed + done.cancelled
    assert engine.store.runs.get(run_id).execution is None
    api("POST", f"/v1/runs/{run_id}/cancel")


SHORT_GRACE_SECONDS = 1.0


@pytest.fixture
def short_grace(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Not 0: the grace is what keeps a second sweep off a run the first one just claimed and whose
    # execution it is still starting (the claim moves updated_at; the new execution isn't there yet).
    monkeypatch.setenv("RECONCILE_GRACE_SECONDS", str(SHORT_GRACE_SECONDS))
    monkeypatch.setenv("RECONCILE_DELIVERY_GRACE_SECONDS", "3600")
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def test_two_sweeps_at_once_drive_a_run_whose_execution_never_started_once(
    api: Api, engine: Engine, tenant: str, short_grace: None
) -> None:
    # Given a stored run with no execution at all, untouched for longer than the grace
    run_id = stored_run(engine, tenant)
    assert execution_status(engine, run_id) is None
    time.sleep(SHORT_GRACE_SECONDS + 0.2)
    # When the scheduled function runs twice at once (as its manifest grants allow)
    spec = manifest.by_name("reconciler")
    barrier = threading.Barrier(2)

    def sweep(_: int) -> dict[str, list[str]]:
        barrier.wait(5)
        result: dict[str, list[str]] = resolve_handler(spec)({}, LocalLambdaContext(spec))
        return result

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(sweep, range(2)))
    # Then exactly one of them re-drove it, and it ran once to the end
    assert sum(r["redriven"].count(run_id) for r in results) == 1
    run = api.wait(run_id)
    assert (run["status"], run["output"]) == ("succeeded", {"note": "stored"})
    record = engine.store.runs.get(run_id)
    assert (record.execution, record.redrives) == (f"{run_id}.r1", 1)
    assert execution_status(engine, f"{run_id}.r2") is None
    assert [e["type"] for e in api.events(run_id)].count("run.started") == 1


def test_a_run_whose_cancel_died_halfway_is_cancelled(api: Api, engine: Engine, tenant: str) -> None:
    # Given a stored run marked to stop by a cancel that died before ending it, and no execution
    run_id = stored_run(engine, tenant)
    assert engine.store.runs.request_stop(run_id, "cancelled", status="queued")
    # When the reconciler sweeps, the run ends as the cancel would have ended it
    assert run_id in reconciler(engine).sweep().cancelled
    assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "cancelled"
    assert execution_status(engine, f"{run_id}.r1") is None


def test_a_cancel_stops_the_execution_a_redrive_started(
    api: Api, engine: Engine, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run re-driven under a new execution, busy with its steps
    run_id = stored_run(engine, tenant, "slow", {"steps": 30, "seconds": 0.1})
    assert run_id in reconciler(engine).sweep().redriven
    api.wait(run_id, {"running"})
    stopped: list[str] = []
    real_stop = Orchestrator.stop
    monkeypatch.setattr(
        Orchestrator,
        "stop",
        lambda self, name, cause: (stopped.append(name), real_stop(self, name, cause))[1],
    )
    # When it is cancelled
    assert api("POST", f"/v1/runs/{run_id}/cancel").json()["status"] == "cancelled"
    # Then the execution stopped is the current one, and it ends (moto, unlike AWS, lets a task in
    # flight finish first, so it may report its end as SUCCEEDED, FAILED or ABORTED)
    assert stopped == [f"{run_id}.r1"]
    assert wait_execution_ended(engine, f"{run_id}.r1") in {"ABORTED", "FAILED", "SUCCEEDED"}


def test_the_sweep_index_holds_exactly_the_active_statuses() -> None:
    swept = {status for status in RunStatus if RunItems._sweep(_record_in(status))}
    assert swept == ACTIVE_STATUSES == {"queued", "running", "waiting_for_input"}


def _record_in(status: RunStatus) -> RunRecord:
    return RunRecord("r", "t", status.value, "w", "1", "h", "{}", "{}", "{}", None, "now", "now")


def test_a_run_changed_within_the_grace_period_is_not_raced(api: Api, engine: Engine, tenant: str) -> None:
    run_id = stored_run(engine, tenant)
    assert run_id not in reconciler(engine, grace_seconds=3600).sweep().redriven
    assert engine.store.runs.get(run_id).redrives == 0
    api("POST", f"/v1/runs/{run_id}/cancel")


def test_a_pending_delivery_whose_message_was_lost_is_enqueued_again_and_delivered_once(
    api: Api, engine: Engine
) -> None:
    # Given a run, and a pending webhook delivery of its first event, an hour old, whose queue message
    # was lost
    run_id = api.create("echo", {"n": 3}).json()["run_id"]
    api.wait(run_id)
    with receiver() as hooks:
        body = to_json({"type": "run.created", "run_id": run_id})
        an_hour_ago = datetime.fromtimestamp(time.time() - 3600, UTC).isoformat(timespec="milliseconds")
        an_hour_ago = an_hour_ago.replace("+00:00", "Z")
        record = DeliveryRecord(
            delivery_id=delivery_id(run_id, 1),
            run_id=run_id,
            tenant_id=api.tenant,
            seq=1,
            event_type="run.created",
            url=hooks.url,
            payload=engine.store.payloads.dump(api.tenant, run_id, "webhook-1", body),
            status="pending",
            created_at=an_hour_ago,
            updated_at=an_hour_ago,
            give_up_at=time.time() + 60,
        )
        assert engine.store.deliveries.create(record)
        # When two sweeps run at once
        sweepers = [reconciler(engine, delivery_grace_seconds=600) for _ in range(2)]
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lambda s: s.sweep(), sweepers))
        # Then one of them enqueued it again, and the receiver got it once
        assert sum(d.requeued.count(record.delivery_id) for d in done) == 1
        eventually(lambda: engine.deliveries.get(record.delivery_id, None).status == "delivered")
        assert [r.webhook_id for r in hooks.all()] == [record.delivery_id]
        assert hooks.all()[0].body.decode() == body
        # And a delivered delivery is no longer swept
        assert record.delivery_id not in sweepers[0].sweep().requeued


HANDLED: list[float] = []


def scheduled(event: dict[str, Any], context: Any) -> None:
    HANDLED.append(time.monotonic())


def test_the_local_scheduler_invokes_a_scheduled_function_at_start_and_every_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = manifest.FunctionSpec(
        "tick",
        f"{__name__}.scheduled",
        "test",
        trigger=manifest.Trigger.SCHEDULE,
        schedule="rate(1 minute)",
    )
    monkeypatch.setenv(pollers.SCHEDULE_SECONDS_VARIABLE, "0.05")
    scheduler = pollers.Scheduler(spec)
    HANDLED.clear()
    scheduler.start()
    try:
        eventually(lambda: len(HANDLED) >= 3)
    finally:
        scheduler.stop()
    assert len(HANDLED) >= 3


def test_schedule_rates_are_parsed_as_eventbridge_writes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pollers.SCHEDULE_SECONDS_VARIABLE, raising=False)
    assert pollers.period_seconds("rate(1 minute)") == 60
    assert pollers.period_seconds("rate(5 minutes)") == 300
    assert pollers.period_seconds("rate(30 seconds)") == 30
    assert pollers.period_seconds(manifest.by_name("reconciler").schedule or "") == 60
    with pytest.raises(ValueError, match="unsupported schedule"):
        pollers.period_seconds("cron(0 * * * ? *)")
    monkeypatch.setenv(pollers.SCHEDULE_SECONDS_VARIABLE, "1.5")
    assert pollers.period_seconds("rate(1 minute)") == 1.5

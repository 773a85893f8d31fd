"""A run's life, in one place: its statuses and the transitions every form of workflow shares.

Statuses: queued -> running <-> waiting_for_input -> succeeded | failed | cancelled | timed_out. Each
transition is one guarded commit (store/run_items.py) with its event:
- `start`: queued -> running (the first Execute);
- `succeed_run`: the output checked, running -> succeeded;
- `fail` and `cancel`: any active status -> failed / cancelled, closing its pending checkpoints in the
  same transaction (Checkpoints.close_run, which owns the checkpoints' side);
- a checkpoint's deadline (Checkpoints.expire) -> timed_out; parking and resuming on a checkpoint are
  the checkpoint's transitions (engine/checkpoints.py), a durable run's suspensions its own
  (engine/durable/stack.py).
`run_ended` follows every ending exactly once: the RunsEnded metric, and a waiting parent is woken.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from agent_runtime import observability
from agent_runtime.engine.failure import fail_run
from agent_runtime.errors import is_transient
from agent_runtime.store.errors import EntryConditionFailed
from agent_runtime.store.event_items import NewEvent
from agent_runtime.store.payloads import to_json
from agent_runtime.validation import field_errors

if TYPE_CHECKING:
    from agent_runtime.engine import Engine
    from agent_runtime.store.run_items import RunRecord
    from agent_runtime.workflows.sdk import Workflow

log = logging.getLogger(__name__)

# GET /v1/runs/{id} returns input and output in one response, which Lambda caps at 6 MB.
MAX_OUTPUT_BYTES = 2 * 1024 * 1024

RunStatus = Literal["queued", "running", "waiting_for_input", "succeeded", "failed", "cancelled", "timed_out"]


def start(engine: Engine, record: RunRecord) -> RunRecord:
    """queued -> running, with `run.started` (ChangedMeanwhile if another worker started it)."""
    return engine.store.runs.commit(
        record.run_id,
        events=[NewEvent("run.started", {"status": "running"})],
        updates={"status": "running"},
        expect_status={"queued"},
    )


def cancel(engine: Engine, run_id: str, *, abort_waits: bool = False) -> RunRecord:
    """End an active run `cancelled` (ChangedMeanwhile if it is not active). With `abort_waits` (the
    cancel itself, not a worker finishing a cancel that died) parked waits are failed so nothing resumes."""
    return engine.checkpoints.close_run(
        run_id,
        [NewEvent("run.cancelled", {"status": "cancelled"})],
        {"status": "cancelled"},
        abort_waits=abort_waits,
    )


def run_ended(engine: Engine, record: RunRecord, status: str) -> None:
    """After a run ended: the RunsEnded metric, and a parent waiting on it (context.invoke) goes on."""
    observability.metric(observability.RUNS_ENDED, 1, workflow=record.workflow_name, status=status)
    if record.parent_run_id:
        wake(engine, record.parent_run_id)


def wake(engine: Engine, run_id: str) -> None:
    """Something a durable run may wait for changed (an answer, a child's end): a parked execution is
    resumed, a running invocation sees the mark when it ends and goes on (engine/durable/stack.py)."""
    try:
        token = engine.store.runs.wake(run_id)
        if token:
            engine.orchestrator.resume(token)
    except Exception as error:
        if not is_transient(error):
            raise
        # The change is stored; the reconciler resumes a run parked past what it waits for.
        log.warning("run %s: waking it failed (%s)", run_id, error)


def succeed_run(engine: Engine, record: RunRecord, workflow: Workflow, output: Any) -> None:
    """End the run `succeeded` with `output` (a pydantic model is dumped), if it matches the workflow's
    output model and fits (else it fails, saying why)."""
    if isinstance(output, BaseModel):
        output = output.model_dump(mode="json")
    try:
        workflow.output_model.model_validate(output)
    except ValidationError as error:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in field_errors(error, "output"))
        fail_run(engine, record.run_id, "OutputValidationError", detail)
        return
    size = len(to_json(output).encode())
    if size > MAX_OUTPUT_BYTES:
        message = f"output is {size} bytes, over {MAX_OUTPUT_BYTES}: return large results as artifacts"
        fail_run(engine, record.run_id, "OutputTooLarge", message)
        return
    events = [NewEvent("run.succeeded", {"status": "succeeded", "output": output})]
    updates = {
        "status": "succeeded",
        "output": engine.store.payloads.dump(record.tenant_id, record.run_id, "output", output),
    }
    try:
        engine.store.runs.commit(
            record.run_id,
            events=events,
            updates=updates,
            expect_status={"running"},
            extra_entries=engine.threads.new_state_entries(record, output),
        )
    except EntryConditionFailed:  # the thread was deleted meanwhile: the run still succeeds
        engine.store.runs.commit(record.run_id, events=events, updates=updates, expect_status={"running"})
    run_ended(engine, record, "succeeded")

"""The step worker's logic: run a workflow's steps until it finishes, fails or nears its time budget.

Progress is persisted after every step with a guarded commit (`next_step` must still be the step that
ran), so a retried worker resumes after the last finished step and never applies one twice. A run that
was cancelled meanwhile makes the guard fail and the worker stops without touching it.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any, Literal, TypedDict

from pydantic import ValidationError

from agent_runtime.errors import TransientAwsError
from agent_runtime.models import ACTIVE_STATUSES
from agent_runtime.runtime.validation import field_errors
from agent_runtime.store import payloads
from agent_runtime.store import runs as store
from agent_runtime.store.runs import GuardFailed, NewEvent, RunRecord
from agent_runtime.workflows.registry import registry
from agent_runtime.workflows.sdk import RetryableStepError, StepContext, Workflow

log = logging.getLogger(__name__)

# Start no new step with less than this left of the invocation; the state machine calls again.
MIN_REMAINING_MS = 10_000


class StepOutcome(TypedDict):
    """What the state machine's Route state reads. Every key is always present (JSONPath needs it)."""

    outcome: Literal["continue", "done"]
    checkpoint_id: str | None
    timeout_seconds: int


def _outcome(kind: Literal["continue", "done"]) -> StepOutcome:
    return {"outcome": kind, "checkpoint_id": None, "timeout_seconds": 0}


def execute(run_id: str, remaining_ms: Callable[[], int]) -> StepOutcome:
    try:
        return _execute(store.get(run_id, None), remaining_ms)
    except GuardFailed as stopped:
        # Someone else moved the run on (cancelled it, most likely): nothing more to do here.
        log.info("run %s is %s; the worker stops", run_id, stopped.current.status)
        return _outcome("done")


def _execute(record: RunRecord, remaining_ms: Callable[[], int]) -> StepOutcome:
    if record.status not in ACTIVE_STATUSES:
        return _outcome("done")
    workflow = registry().get(record.workflow_name, record.workflow_version)
    if record.status == "queued":
        record = store.commit(
            record.run_id,
            events=[NewEvent("run.started", {"status": "running"})],
            updates={"status": "running"},
            expect_status={"queued"},
        )
    ctx = _context(record, workflow)
    while record.next_step < len(workflow.steps):
        if remaining_ms() < MIN_REMAINING_MS:
            return _outcome("continue")
        index = record.next_step
        step = workflow.steps[index]
        ctx.step_name = step.name
        record = store.commit(
            record.run_id,
            events=[NewEvent("step.started", {"step": step.name, "index": index})],
            expect_status={"running"},
            expect={"next_step": index},
        )
        try:
            result = step.fn(ctx)
            json.dumps(result)  # a step's result must be JSON: fail the run now, not a reader later
        except (RetryableStepError, TransientAwsError):
            raise  # the state machine retries this attempt with backoff
        except Exception as error:
            log.info("run %s: step %s raised %s", record.run_id, step.name, type(error).__name__)
            _fail(record, type(error).__name__, str(error), step=step.name)
            return _outcome("done")
        ctx.results[step.name] = result
        record = store.commit(
            record.run_id,
            events=[NewEvent("step.completed", {"step": step.name, "index": index})],
            updates={
                "next_step": index + 1,
                "state": json.dumps(ctx.state),
                "results": json.dumps(ctx.results),
            },
            expect_status={"running"},
            expect={"next_step": index},
        )
    _succeed(record, workflow, ctx)
    return _outcome("done")


def _context(record: RunRecord, workflow: Workflow) -> StepContext:
    ctx = StepContext(
        run_id=record.run_id,
        tenant_id=record.tenant_id,
        workflow=workflow,
        input=workflow.input_model.model_validate(payloads.load(record.input)),
        config=workflow.config_model.model_validate(json.loads(record.config)),
        metadata=json.loads(record.metadata),
        state=json.loads(record.state),
        results=json.loads(record.results),
    )

    def sink(event_type: str, data: dict[str, Any]) -> None:
        store.commit(record.run_id, events=[NewEvent(event_type, data)], expect_status={"running"})

    ctx._sink = sink
    return ctx


def _succeed(record: RunRecord, workflow: Workflow, ctx: StepContext) -> None:
    output = ctx.results.get(workflow.steps[-1].name) if workflow.steps else None
    try:
        workflow.output_model.model_validate(output)
    except ValidationError as error:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in field_errors(error, "output"))
        _fail(record, "OutputValidationError", detail)
        return
    store.commit(
        record.run_id,
        events=[NewEvent("run.succeeded", {"status": "succeeded", "output": output})],
        updates={
            "status": "succeeded",
            "output": payloads.dump(record.tenant_id, record.run_id, "output", output),
        },
        expect_status={"running"},
    )


def _fail(record: RunRecord, error_type: str, message: str, step: str | None = None) -> None:
    error = {"type": error_type, "message": message[:4000]}
    events = [NewEvent("step.failed", {"step": step, "error": error})] if step else []
    events.append(NewEvent("run.failed", {"status": "failed", "error": error}))
    store.commit(
        record.run_id,
        events=events,
        updates={"status": "failed", "error": json.dumps(error)},
        expect_status=ACTIVE_STATUSES,
    )


def record_failure(run_id: str, error: dict[str, Any]) -> StepOutcome:
    """The state machine's catch-all: the worker itself failed (crashed, timed out, retries exhausted)."""
    error_type = str(error.get("Error") or "WorkerError")
    message = str(error.get("Cause") or "")
    try:
        cause = json.loads(message)
        if isinstance(cause, dict):
            message = str(cause.get("errorMessage") or message)
    except ValueError:
        pass
    with contextlib.suppress(GuardFailed):  # already terminal
        _fail(store.get(run_id, None), error_type, message or error_type)
    return _outcome("done")

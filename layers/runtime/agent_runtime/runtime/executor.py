"""The step worker's logic: run a workflow's steps until it finishes, fails, asks a human, or nears its
time budget.

Progress is persisted after every step with a guarded commit (`next_step` must still be the step that
ran), so a retried worker resumes after the last finished step and never applies one twice. A run that
was cancelled meanwhile makes the guard fail and the worker stops without touching it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypedDict

from pydantic import ValidationError

from agent_runtime import orchestration
from agent_runtime.clock import now_iso
from agent_runtime.errors import NotFound, TransientAwsError
from agent_runtime.models import ACTIVE_STATUSES
from agent_runtime.runtime.checkpoints import end_run
from agent_runtime.runtime.validation import field_errors
from agent_runtime.store import artifacts as artifact_store
from agent_runtime.store import checkpoints as checkpoint_store
from agent_runtime.store import payloads
from agent_runtime.store import runs as store
from agent_runtime.store import threads as thread_store
from agent_runtime.store.checkpoints import CheckpointRecord
from agent_runtime.store.runs import GuardFailed, ItemConditionFailed, NewEvent, RunRecord
from agent_runtime.workflows.checkpoints import MAX_WAIT_SECONDS, CheckpointRequest, Resolution, Suspend
from agent_runtime.workflows.registry import registry
from agent_runtime.workflows.sdk import RetryableStepError, StepContext, Workflow

log = logging.getLogger(__name__)

# Start no new step with less than this left of the invocation; the state machine calls again.
MIN_REMAINING_MS = 10_000
ARTIFACT_NAMESPACE = uuid.UUID("6f1c2b0e-3f5a-4d0b-9a57-5f0e8e3c1a77")

Outcome = Literal["continue", "checkpoint", "done"]


class StepOutcome(TypedDict):
    """What the state machine's Route state reads. Every key is always present (JSONPath needs it)."""

    outcome: Outcome
    checkpoint_id: str | None
    timeout_seconds: int


def _outcome(kind: Outcome, checkpoint_id: str | None = None, timeout_seconds: int = 0) -> StepOutcome:
    return {"outcome": kind, "checkpoint_id": checkpoint_id, "timeout_seconds": timeout_seconds}


def execute(run_id: str, remaining_ms: Callable[[], int]) -> StepOutcome:
    try:
        return _execute(store.get(run_id, None), remaining_ms)
    except GuardFailed as stopped:
        # Someone else moved the run on (cancelled it, most likely): nothing more to do here.
        log.info("run %s is %s; the worker stops", run_id, stopped.current.status)
        return _outcome("done")


def _seconds_left(record: CheckpointRecord) -> int:
    if not record.expires_at:
        return MAX_WAIT_SECONDS
    left = datetime.fromisoformat(record.expires_at.replace("Z", "+00:00")) - datetime.now(UTC)
    return max(1, int(left.total_seconds()))


def _execute(record: RunRecord, remaining_ms: Callable[[], int]) -> StepOutcome:
    if record.status not in ACTIVE_STATUSES:
        return _outcome("done")
    if record.status == "waiting_for_input":
        pending = [c for c in checkpoint_store.list_for_run(record.run_id) if c.status == "pending"]
        if pending:  # a repeated invocation while a human is asked: park again on the same checkpoint
            return _outcome("checkpoint", pending[0].checkpoint_id, _seconds_left(pending[0]))
    workflow = registry().get(record.workflow_name, record.workflow_version)
    if record.status == "queued":
        record = store.commit(
            record.run_id,
            events=[NewEvent("run.started", {"status": "running"})],
            updates={"status": "running"},
            expect_status={"queued"},
        )
    steps = _RunSteps(record, workflow)
    ctx = steps.context()
    while record.next_step < len(workflow.steps):
        if remaining_ms() < MIN_REMAINING_MS:
            return _outcome("continue")
        index = record.next_step
        step = workflow.steps[index]
        ctx.begin_step(step.name)
        record = store.commit(
            record.run_id,
            events=[NewEvent("step.started", {"step": step.name, "index": index})],
            expect_status={"running"},
            expect={"next_step": index},
        )
        try:
            result = step.fn(ctx)
            json.dumps(result)  # a step's result must be JSON: fail the run now, not a reader later
        except Suspend as suspend:
            return _outcome("checkpoint", suspend.checkpoint_id, suspend.timeout_seconds)
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
            # Per-step object names: a commit that loses its race never leaves its S3 copy referenced.
            updates={
                "next_step": index + 1,
                "state": payloads.dump(record.tenant_id, record.run_id, f"state-{index + 1}", ctx.state),
                "results": payloads.dump(
                    record.tenant_id, record.run_id, f"results-{index + 1}", ctx.results
                ),
            },
            expect_status={"running"},
            expect={"next_step": index},
        )
    _succeed(record, workflow, ctx)
    return _outcome("done")


class _RunSteps:
    """The StepRuntime the step worker gives step code for one run."""

    def __init__(self, record: RunRecord, workflow: Workflow) -> None:
        self.record = record
        self.workflow = workflow

    def context(self) -> StepContext:
        record, workflow = self.record, self.workflow
        return StepContext(
            run_id=record.run_id,
            tenant_id=record.tenant_id,
            workflow=workflow,
            input=workflow.input_model.model_validate(payloads.load(record.input)),
            config=workflow.config_model.model_validate(payloads.load(record.config)),
            metadata=json.loads(record.metadata),
            state=payloads.load(record.state),
            results=payloads.load(record.results),
            runtime=self,
            thread=_thread_view(record),
        )

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        store.commit(self.record.run_id, events=[NewEvent(event_type, data)], expect_status={"running"})

    def checkpoint(self, step_name: str, sequence: int, request: CheckpointRequest) -> Resolution:
        checkpoint_id = f"{step_name}-{sequence}"
        existing = checkpoint_store.find(self.record.run_id, checkpoint_id)
        if existing is not None:
            if existing.status == "pending":
                raise Suspend(checkpoint_id, _seconds_left(existing))
            return resolution_of(existing)
        now = datetime.now(UTC)
        expires_at = None
        if request.timeout_seconds:
            expires_at = (now + timedelta(seconds=request.timeout_seconds)).isoformat(timespec="milliseconds")
            expires_at = expires_at.replace("+00:00", "Z")
        record = CheckpointRecord(
            run_id=self.record.run_id,
            tenant_id=self.record.tenant_id,
            checkpoint_id=checkpoint_id,
            name=request.name,
            type=request.kind.type,
            status="pending",
            prompt=request.prompt,
            payload=payloads.dump(
                self.record.tenant_id, self.record.run_id, f"checkpoint-{checkpoint_id}", request.payload
            ),
            response_schema=json.dumps(request.kind.response_schema()),
            assignee=request.assignee,
            timeout_seconds=request.timeout_seconds,
            expires_at=expires_at,
            on_timeout=request.kind.on_timeout,
            default=json.dumps(request.default) if request.default is not None else None,
            workflow_name=self.workflow.name,
            workflow_version=self.workflow.version,
            created_at=now_iso(),
        )
        created = {
            "checkpoint_id": checkpoint_id,
            "name": request.name,
            "type": request.kind.type,
            "prompt": request.prompt,
            "assignee": request.assignee,
            "expires_at": expires_at,
        }
        store.commit(
            self.record.run_id,
            events=[NewEvent("checkpoint.created", created)],
            updates={"status": "waiting_for_input"},
            expect_status={"running"},
            extra_items=[checkpoint_store.put_item(record)],
        )
        raise Suspend(checkpoint_id, request.timeout_seconds or MAX_WAIT_SECONDS)

    def put_artifact(self, step_name: str, name: str, occurrence: int, body: bytes, content_type: str) -> str:
        run = self.record
        # Deterministic, so a retried step stores the same artifacts again rather than new ones.
        seed = f"{run.run_id}/{step_name}/{name}" + (f"#{occurrence}" if occurrence > 1 else "")
        artifact_id = str(uuid.uuid5(ARTIFACT_NAMESPACE, seed))
        record = artifact_store.ArtifactRecord(
            artifact_id=artifact_id,
            run_id=run.run_id,
            tenant_id=run.tenant_id,
            name=name,
            content_type=content_type,
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            object_key=artifact_store.object_key(run.tenant_id, run.run_id, artifact_id),
            step=step_name,
            created_at=now_iso(),
        )
        artifact_store.upload(record, body)
        with contextlib.suppress(ItemConditionFailed):  # a retried step stored it already
            store.commit(
                run.run_id,
                events=[NewEvent("artifact.created", record.public())],
                expect_status={"running"},
                extra_items=artifact_store.put_items(record),
            )
        return artifact_id


def _thread_view(record: RunRecord) -> dict[str, Any] | None:
    if not record.thread_id:
        return None
    try:
        thread = thread_store.get(record.thread_id, record.tenant_id)
    except NotFound:
        return None
    return {
        "thread_id": thread.thread_id,
        "values": payloads.load(thread.values),
        "messages": payloads.load(thread.messages),
        "metadata": json.loads(thread.metadata),
    }


def _thread_state(record: RunRecord, output: Any) -> list[dict[str, Any]]:
    """A successful thread run becomes the thread's new state: its output as values, and the output's
    messages (when it has any) as the thread's messages."""
    if not record.thread_id:
        return []
    try:
        thread = thread_store.get(record.thread_id, record.tenant_id)
    except NotFound:
        return []
    messages = output.get("messages") if isinstance(output, dict) else None
    if not isinstance(messages, list):
        messages = payloads.load(thread.messages)
    return thread_store.state_items(thread, record.run_id, output, messages, {"run_id": record.run_id})


def resolution_of(record: CheckpointRecord) -> Resolution:
    values = payloads.load(record.resolution) if record.resolution else {}
    return Resolution(
        checkpoint_id=record.checkpoint_id,
        decision=values.get("decision", "expired"),
        comment=values.get("comment"),
        reason=values.get("reason"),
        data=values.get("data"),
        by=values.get("by"),
        at=values.get("at"),
    )


MAX_OUTPUT_BYTES = 2 * 1024 * 1024


def _succeed(record: RunRecord, workflow: Workflow, ctx: StepContext) -> None:
    output = ctx.results.get(workflow.steps[-1].name) if workflow.steps else None
    try:
        workflow.output_model.model_validate(output)
    except ValidationError as error:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in field_errors(error, "output"))
        _fail(record, "OutputValidationError", detail)
        return
    size = len(json.dumps(output, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_OUTPUT_BYTES:
        # GET /v1/runs/{id} returns input and output in one response, which Lambda caps at 6 MB.
        message = f"output is {size} bytes, over {MAX_OUTPUT_BYTES}: return large results as artifacts"
        _fail(record, "OutputTooLarge", message)
        return
    events = [NewEvent("run.succeeded", {"status": "succeeded", "output": output})]
    updates = {
        "status": "succeeded",
        "output": payloads.dump(record.tenant_id, record.run_id, "output", output),
    }
    try:
        store.commit(
            record.run_id,
            events=events,
            updates=updates,
            expect_status={"running"},
            extra_items=_thread_state(record, output),
        )
    except ItemConditionFailed:  # the thread was deleted meanwhile: the run still succeeds
        store.commit(record.run_id, events=events, updates=updates, expect_status={"running"})


def _fail(record: RunRecord, error_type: str, message: str, step: str | None = None) -> None:
    error = {"type": error_type, "message": message[:4000]}
    events = [NewEvent("step.failed", {"step": step, "error": error})] if step else []
    events.append(NewEvent("run.failed", {"status": "failed", "error": error}))
    # A run that fails while waiting for a human (its wait crashed) also closes that checkpoint.
    end_run(record.run_id, events, {"status": "failed", "error": json.dumps(error)})


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


def park(run_id: str, checkpoint_id: str, task_token: str) -> dict[str, bool]:
    """The AwaitHuman task: attach the task token to the pending checkpoint.

    If the checkpoint was answered (or the run cancelled) before the token arrived, the resolver found
    no token to send, so this sends the outcome itself: exactly one of the two ever does.
    """
    record = checkpoint_store.get(run_id, checkpoint_id)
    if checkpoint_store.store_task_token(record, task_token):
        return {"parked": True}
    current = checkpoint_store.get(run_id, checkpoint_id)
    if current.status == "cancelled":
        orchestration.abort(task_token, "RunCancelled", "the run was cancelled")
    else:
        orchestration.resume(task_token)
    return {"parked": False}


def expire_checkpoint(run_id: str, checkpoint_id: str) -> StepOutcome:
    """The checkpoint's deadline passed: continue with its default, or end the run timed_out."""
    record = checkpoint_store.get(run_id, checkpoint_id)
    now = now_iso()
    expired_event = NewEvent(
        "checkpoint.expired",
        {"checkpoint_id": checkpoint_id, "name": record.name, "at": now, "on_timeout": record.on_timeout},
    )
    try:
        if record.on_timeout == "continue":
            resolution = {
                "decision": "expired",
                "data": json.loads(record.default) if record.default else None,
                "at": now,
            }
            store.commit(
                run_id,
                events=[expired_event],
                updates={"status": "running"},
                expect_status={"waiting_for_input"},
                extra_items=[checkpoint_store.transition_item(record, "expired", now, resolution)],
            )
            return _outcome("continue")
        error = {
            "type": "CheckpointExpired",
            "message": f"checkpoint {checkpoint_id} was not answered in time",
        }
        store.commit(
            run_id,
            events=[expired_event, NewEvent("run.timed_out", {"status": "timed_out", "error": error})],
            updates={"status": "timed_out", "error": json.dumps(error)},
            expect_status={"waiting_for_input"},
            extra_items=[
                checkpoint_store.transition_item(record, "expired", now, {"decision": "expired", "at": now})
            ],
        )
        return _outcome("done")
    except (GuardFailed, ItemConditionFailed):
        # Answered right at the deadline (go on with the answer), or cancelled (stop).
        run = store.get(run_id, None)
        return _outcome("continue" if run.status == "running" else "done")

"""The Execute task: run a workflow's steps until it finishes, fails, asks a human, or nears the
invocation's time budget.

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
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agent_runtime.clock import now_iso
from agent_runtime.engine.checkpoints import seconds_left
from agent_runtime.engine.event_buffer import EventBuffer, RunStopped
from agent_runtime.engine.outcome import StepOutcome, outcome
from agent_runtime.errors import TransientAwsError, is_transient
from agent_runtime.json_limits import MAX_DEPTH, too_deep
from agent_runtime.store.artifact_items import ArtifactRecord, object_key
from agent_runtime.store.checkpoint_items import PENDING
from agent_runtime.store.errors import ChangedMeanwhile, EntryConditionFailed
from agent_runtime.store.event_items import NewEvent
from agent_runtime.store.run_items import ACTIVE_STATUSES, RunRecord, RunStatus
from agent_runtime.workflows.checkpoints import CheckpointRequest, Resolution, Suspend
from agent_runtime.workflows.sdk import Step, StepContext, Workflow

if TYPE_CHECKING:
    from agent_runtime.engine import Engine

log = logging.getLogger(__name__)

# Start no new step with less than this left of the invocation; the state machine calls again.
MIN_REMAINING_MS = 10_000
ARTIFACT_NAMESPACE = uuid.UUID("6f1c2b0e-3f5a-4d0b-9a57-5f0e8e3c1a77")


class SuspensionSwallowed(Exception):
    """A step caught the checkpoint suspension (`except BaseException`) and returned."""


def execute_steps(engine: Engine, run_id: str, remaining_ms: Callable[[], int]) -> StepOutcome:
    try:
        return _execute(engine, engine.runs.record(None, run_id), remaining_ms)
    except ChangedMeanwhile as stopped:
        # Someone else moved the run on (cancelled it, most likely): nothing more to do here.
        log.info("run %s is %s; the worker stops", run_id, stopped.current.status)
        stop_for_request(engine, run_id)
        return outcome("done")


def _execute(engine: Engine, record: RunRecord, remaining_ms: Callable[[], int]) -> StepOutcome:
    store = engine.store
    if record.status not in ACTIVE_STATUSES:
        return outcome("done")
    workflow = engine.workflows.get(record.workflow_name, record.workflow_version)
    if record.status == RunStatus.WAITING_FOR_INPUT and workflow.handler is None:
        pending = [c for c in store.checkpoints.list_for_run(record.run_id) if c.status == PENDING]
        if pending:  # a repeated invocation while a human is asked: park again on the same checkpoint
            return outcome(
                "checkpoint", pending[0].checkpoint_id, seconds_left(pending[0], engine.clock.now())
            )
    if record.status == RunStatus.QUEUED and (workflow.handler is not None or not workflow.steps):
        record = engine.lifecycle.start(record)  # else the first step's commit starts it (_run_steps)
    runtime = StepRuntime(engine, record, workflow)
    try:
        if workflow.handler is not None:
            from agent_runtime.engine.durable.stack import execute_durable

            return execute_durable(engine, record, workflow, remaining_ms, runtime)
        return _run_steps(engine, runtime, record, workflow, remaining_ms)
    except RunStopped:
        log.info("run %s stopped while its step ran; the worker stops", record.run_id)
        stop_for_request(engine, record.run_id)
        return outcome("done")
    finally:
        runtime.events.close()


def stop_for_request(engine: Engine, run_id: str) -> None:
    """End a run whose cancel asked it to stop, in case that cancel died before ending it (whoever
    comes second finds the run ended)."""
    record = engine.store.runs.get(run_id)
    if record.stop_requested and record.status in ACTIVE_STATUSES:
        with contextlib.suppress(ChangedMeanwhile):
            engine.lifecycle.cancel(run_id)


def _run_steps(
    engine: Engine,
    runtime: StepRuntime,
    record: RunRecord,
    workflow: Workflow,
    remaining_ms: Callable[[], int],
) -> StepOutcome:
    store = engine.store
    ctx = runtime.context()
    while record.next_step < len(workflow.steps):
        if remaining_ms() < MIN_REMAINING_MS:
            return outcome("continue")
        index = record.next_step
        step = workflow.steps[index]
        ctx.begin_step(step.name)
        started = NewEvent(
            "step.started", {"step": step.name, "index": index, "attempt": record.step_attempt + 1}
        )
        updates = {"resuming": None}  # a worker has it: a cancel now stops it (engine/runs.py)
        expect = {"next_step": index, "stop_requested": None}
        if record.status == RunStatus.QUEUED:  # the run's start and its first step's, one transaction
            record = runtime.latest = engine.lifecycle.start(
                record, then=[started], updates=updates, expect=expect
            )
        else:
            record = runtime.commit(
                events=[started], updates=updates, expect_status={RunStatus.RUNNING}, expect=expect
            )
        try:
            result = step.fn(ctx)
            if runtime.suspended is not None:
                raise SuspensionSwallowed(
                    f"step {step.name} caught the suspension of checkpoint {runtime.suspended}: "
                    "let ctx.checkpoint's exception through (catch Exception, not BaseException)"
                )
            if isinstance(result, BaseModel):
                result = result.model_dump(mode="json")
            # A step's result must be strict JSON (no NaN or Infinity) and nest at most MAX_DEPTH levels:
            # fail the run now, not every reader of it later.
            json.dumps(result, allow_nan=False)
            if too_deep(result):
                raise ValueError(f"the result of step {step.name} nests deeper than {MAX_DEPTH} levels")
        except Suspend as suspend:
            return outcome("checkpoint", suspend.checkpoint_id, suspend.timeout_seconds)
        except RunStopped:
            raise
        except TransientAwsError:
            runtime.events.flush()  # what it emitted happened; the state machine retries the attempt
            raise
        except step.retry.retry_on as error:
            runtime.events.flush()  # what it emitted happened
            attempt = record.step_attempt + 1
            if attempt < step.retry.max_attempts:
                return _retry_later(runtime, step, index, attempt, error)
            engine.lifecycle.fail(
                record.run_id,
                type(error).__name__,
                f"{error or type(error).__name__} (attempt {attempt} of {step.retry.max_attempts})",
                step=step.name,
            )
            return outcome("done")
        except BaseException as error:
            if isinstance(error, Exception) and is_transient(error):
                # An AWS call in the step (an artifact write, the step's own client) stayed throttled:
                # worth the state machine's retries, as a RetryableStepError is.
                runtime.events.flush()
                raise TransientAwsError(f"step {step.name}: {error}") from error
            # Anything else a step raises, SystemExit and KeyboardInterrupt included, fails the run:
            # left unhandled it would kill the worker and leave the run `running` with nothing to end it.
            log.info("run %s: step %s raised %s", record.run_id, step.name, type(error).__name__)
            with contextlib.suppress(RunStopped):  # a run that stopped (or waits: swallowed) keeps none
                runtime.events.flush()
            engine.lifecycle.fail(
                record.run_id,
                type(error).__name__,
                str(error) or type(error).__name__,
                step=step.name,
            )
            return outcome("done")
        runtime.events.flush()
        ctx.results[step.name] = result
        payloads = store.payloads
        completed = [NewEvent("step.completed", {"step": step.name, "index": index})]
        # Per-step object names: a commit that loses its race never leaves its S3 copy referenced.
        progress = {
            "next_step": index + 1,
            "step_attempt": 0,
            "state": payloads.dump(record.tenant_id, record.run_id, f"state-{index + 1}", ctx.state),
            "results": payloads.dump(record.tenant_id, record.run_id, f"results-{index + 1}", ctx.results),
        }
        expect = {"next_step": index, "stop_requested": None}
        if index == len(workflow.steps) - 1:  # the last step's end and the run's, one transaction
            engine.lifecycle.succeed(
                runtime.latest, workflow, result, first=completed, updates=progress, expect=expect
            )
            return outcome("done")
        record = runtime.commit(
            events=completed, updates=progress, expect_status={RunStatus.RUNNING}, expect=expect
        )
    engine.lifecycle.succeed(
        runtime.latest, workflow, ctx.results.get(workflow.steps[-1].name) if workflow.steps else None
    )
    return outcome("done")


def _retry_later(
    runtime: StepRuntime, step: Step, index: int, attempt: int, error: BaseException
) -> StepOutcome:
    """A failed attempt the step's retry policy tries again: say so, and wait (no compute) until then.
    What the attempt set in ctx.state and results is not kept: the step runs again from its start."""
    delay = step.retry.delay_after(attempt)
    retry_at = datetime.now(UTC) + timedelta(seconds=delay)
    runtime.commit(
        events=[
            NewEvent(
                "step.retrying",
                {
                    "step": step.name,
                    "index": index,
                    "attempt": attempt,
                    "error": {"type": type(error).__name__, "message": str(error)[:4000]},
                    "next_attempt_at": retry_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                },
            )
        ],
        updates={"step_attempt": attempt},
        expect_status={RunStatus.RUNNING},
        expect={"next_step": index, "stop_requested": None},
    )
    return outcome("wait", timeout_seconds=delay)


class StepRuntime:
    """What step code's context calls for one run (workflows/sdk.py StepRuntime)."""

    def __init__(self, engine: Engine, record: RunRecord, workflow: Workflow) -> None:
        self.engine = engine
        self.record = record  # as the invocation found it: what the step's context is made of
        # The run as this invocation last committed it: its next commit decides on it with no read
        # (store/run_items.py `seen`), and reads only if anyone else moved the run on meanwhile.
        self.latest = record
        self.workflow = workflow
        self.events = EventBuffer(self._commit_events, flush_seconds=engine.config.event_flush_seconds)
        # The checkpoint a step suspended on in this invocation: set when ctx.checkpoint raises Suspend,
        # so a step that catches it and returns is seen (its run would wait on a human nobody resumes).
        self.suspended: str | None = None

    def commit(
        self,
        *,
        events: Sequence[NewEvent] = (),
        updates: Mapping[str, Any] | None = None,
        expect_status: Collection[str] | None = None,
        expect: Mapping[str, Any] | None = None,
        extra_entries: Sequence[dict[str, Any]] = (),
    ) -> RunRecord:
        """A commit to the run (store/run_items.py RunItems.commit), starting from `latest`."""
        self.latest = self.engine.store.runs.commit(
            self.record.run_id,
            events=events,
            updates=updates,
            expect_status=expect_status,
            expect=expect,
            extra_entries=extra_entries,
            seen=self.latest,
        )
        return self.latest

    def _commit_events(self, events: list[NewEvent]) -> None:
        self.commit(events=events, expect_status={RunStatus.RUNNING}, expect={"stop_requested": None})

    def context(self) -> StepContext:
        record, workflow, payloads = self.record, self.workflow, self.engine.store.payloads
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
            thread=self.engine.threads.context_of(record),
        )

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        self.events.add(NewEvent(event_type, data))

    def checkpoint(self, step_name: str, sequence: int, request: CheckpointRequest) -> Resolution:
        self.events.flush()
        try:
            return self.engine.checkpoints.raise_checkpoint(self.latest, step_name, sequence, request)
        except Suspend as suspend:
            self.suspended = suspend.checkpoint_id
            raise

    def put_artifact(self, step_name: str, name: str, occurrence: int, body: bytes, content_type: str) -> str:
        run, store = self.record, self.engine.store
        # Deterministic, so a retried step stores the same artifacts again rather than new ones.
        seed = f"{run.run_id}/{step_name}/{name}" + (f"#{occurrence}" if occurrence > 1 else "")
        artifact_id = str(uuid.uuid5(ARTIFACT_NAMESPACE, seed))
        record = ArtifactRecord(
            artifact_id=artifact_id,
            run_id=run.run_id,
            tenant_id=run.tenant_id,
            name=name,
            content_type=content_type,
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            object_key=object_key(run.tenant_id, run.run_id, artifact_id),
            step=step_name,
            created_at=now_iso(),
        )
        store.artifact_objects.upload(record, body)
        self.events.flush()
        event = {k: v for k, v in record.__dict__.items() if k not in {"object_key", "tenant_id"}}
        with contextlib.suppress(EntryConditionFailed):  # a retried step stored it already
            self.commit(
                events=[NewEvent("artifact.created", event)],
                expect_status={RunStatus.RUNNING},
                extra_entries=store.artifacts.put_entries(record),
            )
        return artifact_id

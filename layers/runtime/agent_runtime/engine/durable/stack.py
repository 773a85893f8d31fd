"""A durable run on the stack: the Execute task invokes its handler (host.py) over the operations in
DynamoDB, and tells the state machine what comes next.

- It ended: the run succeeds (its output validated) or fails with the handler's error.
- It suspended: anything already changed (the invocation ran out of time, a wait ended, a person
  answered or a child run ended while it ran) -> invoke again at once ("continue"); only timers left
  -> a Wait state until the first ("wait"); a person or a child run to wait for -> park on a task token
  until `lifecycle.wake` or the first deadline ("suspend"). No compute runs while a run waits.

Callbacks are the run's human checkpoints (checkpoint items, in the inbox and every door); a callback
named after a declared kind takes that kind's schemas. `context.invoke` starts a child run of another
registered workflow, linked both ways; its end wakes the parent.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import logging
import math
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
)

from agent_runtime.clock import now_iso
from agent_runtime.engine.durable import host, operations
from agent_runtime.engine.durable.answers import callback_ended
from agent_runtime.engine.durable.children import child_run_id
from agent_runtime.engine.durable.events import events_of_batch
from agent_runtime.engine.durable.operations import Applied, complete_invoke
from agent_runtime.engine.event_buffer import EventBuffer
from agent_runtime.engine.outcome import StepOutcome, outcome
from agent_runtime.errors import DomainError
from agent_runtime.store import usage_meter
from agent_runtime.store.checkpoint_items import PENDING, CheckpointRecord
from agent_runtime.store.errors import ChangedMeanwhile, EntryConditionFailed, ItemNotFound
from agent_runtime.store.event_items import NewEvent
from agent_runtime.store.payloads import to_json
from agent_runtime.store.run_items import TERMINAL_STATUSES, RunStatus
from agent_runtime.workflows.checkpoints import MAX_WAIT_SECONDS
from agent_runtime.workflows.durable import Description, RunScope, bound

if TYPE_CHECKING:
    from agent_runtime.engine import Engine
    from agent_runtime.engine.execute import StepRuntime
    from agent_runtime.models.types import Usage
    from agent_runtime.store.run_items import RunRecord
    from agent_runtime.workflows.budgets import RaiseBudget, Spend
    from agent_runtime.workflows.sdk import Workflow

log = logging.getLogger(__name__)

# How often a running invocation looks for answers and finished children (one query each).
EXTERNAL_POLL_SECONDS = 1.0
_SLUG = re.compile(r"[^a-z0-9_-]+")


class StackBackend:
    """host.Backend over the store, for one invocation of one run."""

    def __init__(
        self, engine: Engine, record: RunRecord, workflow: Workflow, scope: RunScope, events: EventBuffer
    ) -> None:
        self.engine, self.store = engine, engine.store
        self.record, self.workflow, self.scope, self.events = record, workflow, scope, events
        self.meter = usage_meter.for_run(engine.meter, record.run_id)
        self._last_poll = 0.0
        self._checkpoints: dict[str, CheckpointRecord] = {}
        self._refused: dict[str, str] = {}  # invokes whose child run the engine refused: why

    # -- operations --------------------------------------------------------------------------------
    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    def load(self) -> tuple[int, dict[str, Operation]]:
        batches = self.store.operations.load(self.record.run_id)
        ops: dict[str, Operation] = {}
        size = 0
        for batch in batches:
            for stored in batch.operations:
                op = operations.decode(stored)
                ops[op.operation_id] = op
            size += batch.size
        if self.meter is not None:  # a query is billed by the bytes it reads, strongly consistent
            self.meter.add({"read_units": usage_meter.read_units(size) if size else 0})
        now = self.now()
        for op in [*operations.advance(ops, now), *self.external(ops, now, force=True)]:
            ops[op.operation_id] = op
        return (batches[-1].seq if batches else 0), ops

    def append(self, seq: int, changed: list[Operation]) -> None:
        encoded = [operations.encode(op) for op in changed]
        self.store.operations.append(self.record.tenant_id, self.record.run_id, seq, encoded)
        if self.meter is not None:
            size = len(to_json(encoded).encode()) + 64
            self.meter.add(
                {
                    "write_units": usage_meter.write_units(size, transactional=False),
                    "bytes_stored": size,
                },
            )

    def callback_id(self, update: OperationUpdate, ops: Mapping[str, Operation]) -> str:
        name = update.name or "callback"
        same = sum(
            1 for op in ops.values() if op.operation_type is OperationType.CALLBACK and op.name == name
        )
        return f"{_SLUG.sub('-', name.lower()).strip('-')[:48] or 'callback'}-{same + 1}"

    def before_store(self, applied: list[Applied], ops: Mapping[str, Operation]) -> None:
        for done in applied:
            update = done.update
            if update.action is not OperationAction.START or done.before is not None:
                continue
            if update.operation_type is OperationType.CALLBACK:
                self._open_checkpoint(done.after, update)
            elif update.operation_type is OperationType.CHAINED_INVOKE:
                refused = self._start_child(done.after.operation_id, update)
                if refused is not None:
                    self._refused[done.after.operation_id] = refused

    def after_store(self, applied: list[Applied]) -> None:
        if self.meter is not None:  # operations as the SDK's service bills them: each one started
            self.meter.add({"operations": sum(1 for a in applied if a.before is None)})
        run_id = self.record.run_id
        for event_type, data in events_of_batch(
            applied, child_run_id=lambda op_id: child_run_id(run_id, op_id)
        ):
            self.events.add(NewEvent(event_type, data))

    def external(
        self, ops: Mapping[str, Operation], now: datetime.datetime, *, force: bool = False
    ) -> list[Operation]:
        callbacks = operations.open_of(ops.values(), OperationType.CALLBACK)
        invokes = operations.open_of(ops.values(), OperationType.CHAINED_INVOKE)
        if not (callbacks or invokes):
            return []
        clock = now.timestamp()
        if not force and clock - self._last_poll < EXTERNAL_POLL_SECONDS:
            return []
        self._last_poll = clock
        moved: list[Operation] = []
        if callbacks:
            self._checkpoints = {
                c.checkpoint_id: c for c in self.store.checkpoints.list_for_run(self.record.run_id)
            }
            for op in callbacks:
                checkpoint = self._checkpoints.get(
                    op.callback_details.callback_id if op.callback_details else ""
                )
                if checkpoint is None:
                    continue
                if checkpoint.status == PENDING and _past(checkpoint.expires_at, now):
                    checkpoint = self._expire(checkpoint)
                resolution = (
                    self.store.payloads.load(checkpoint.resolution) if checkpoint.resolution else None
                )
                ended = callback_ended(
                    op, checkpoint.status, resolution, now, heartbeat=checkpoint.heartbeat_deadline
                )
                if ended is not None:
                    moved.append(ended)
        for op in invokes:
            ended_invoke = self._child_result(op, now)
            if ended_invoke is not None:
                moved.append(ended_invoke)
        return moved

    # -- callbacks: human checkpoints ----------------------------------------------------------------
    def _open_checkpoint(self, op: Operation, update: OperationUpdate) -> None:
        run, payloads = self.record, self.store.payloads
        checkpoint_id = op.callback_details.callback_id if op.callback_details else op.operation_id
        name = update.name or "callback"
        kind = self.workflow.checkpoints.get(name)
        described = self.scope.take_description(name) or Description(
            (kind.description if kind else "") or f"Answer {name}", {}
        )
        timeout, heartbeat = operations.callback_deadline(update)
        now = datetime.datetime.now(datetime.UTC)
        expires_at = _iso(now + datetime.timedelta(seconds=timeout)) if timeout else None
        response_schema = kind.response_schema() if kind else {"description": "Any JSON."}
        record = CheckpointRecord(
            run_id=run.run_id,
            tenant_id=run.tenant_id,
            checkpoint_id=checkpoint_id,
            name=name,
            type=kind.type if kind else "input",
            status=PENDING,
            prompt=described.prompt,
            payload=payloads.dump(
                run.tenant_id, run.run_id, f"checkpoint-{checkpoint_id}", described.payload
            ),
            response_schema=json.dumps(response_schema),
            assignee=described.assignee,
            timeout_seconds=timeout or None,
            expires_at=expires_at,
            on_timeout=kind.on_timeout if kind else "fail",
            default=json.dumps(described.default) if described.default is not None else None,
            workflow_name=run.workflow_name,
            workflow_version=run.workflow_version,
            created_at=now_iso(),
            wakes_run=True,
            heartbeat_deadline=heartbeat,
        )
        created = {
            "checkpoint_id": checkpoint_id,
            "name": name,
            "type": record.type,
            "prompt": record.prompt,
            "assignee": record.assignee,
            "expires_at": expires_at,
        }
        self.events.flush()
        # Created already by an invocation that stopped before storing its batch: it stands.
        with contextlib.suppress(EntryConditionFailed):
            self.store.runs.commit(
                run.run_id,
                events=[NewEvent("checkpoint.created", created)],
                expect_status={RunStatus.RUNNING},
                expect={"stop_requested": None},
                extra_entries=[self.store.checkpoints.put_entry(record)],
            )

    def _expire(self, checkpoint: CheckpointRecord) -> CheckpointRecord:
        now = now_iso()
        # Answered right at the deadline, or the run stopped: read what is there.
        with contextlib.suppress(ChangedMeanwhile, EntryConditionFailed):
            self.store.runs.commit(
                self.record.run_id,
                events=[
                    NewEvent(
                        "checkpoint.expired",
                        {
                            "checkpoint_id": checkpoint.checkpoint_id,
                            "name": checkpoint.name,
                            "at": now,
                            "on_timeout": checkpoint.on_timeout,
                        },
                    )
                ],
                expect_status={RunStatus.RUNNING, RunStatus.WAITING_FOR_INPUT},
                extra_entries=[self.store.checkpoints.transition_entry(checkpoint, "expired", now, None)],
            )
        return self.engine.checkpoints.record(self.record.run_id, checkpoint.checkpoint_id)

    # -- invokes: child runs ----------------------------------------------------------------------------
    def _start_child(self, operation_id: str, update: OperationUpdate) -> str | None:
        """Start the child run (once); the reason it could not be, if so."""
        from agent_runtime.engine.runs import RunSpec

        options = update.chained_invoke_options
        assert options is not None
        child_id = child_run_id(self.record.run_id, operation_id)
        try:
            self.store.runs.get(child_id)
            return None
        except ItemNotFound:
            pass
        name, _, version = options.function_name.partition("@")
        spec = RunSpec(
            workflow_name=name,
            workflow_version=version or None,
            input=json.loads(update.payload) if update.payload else {},
            metadata={"parent_run_id": self.record.run_id},
        )
        try:
            self.engine.runs.create(
                self.record.tenant_id, spec, run_id=child_id, parent_run_id=self.record.run_id
            )
        except DomainError as refused:
            return f"{type(refused).__name__}: {refused}"
        return None

    def _child_result(self, op: Operation, now: datetime.datetime) -> Operation | None:
        child_id = child_run_id(self.record.run_id, op.operation_id)
        try:
            child = self.store.runs.get(child_id)
        except ItemNotFound:
            why = self._refused.get(op.operation_id, f"child run {child_id} was never created")
            error = ErrorObject(message=why, type="ChildRunNotStarted", data=None, stack_trace=None)
            return complete_invoke(op, now, error=error)
        if child.status not in TERMINAL_STATUSES:
            return None
        if child.status == RunStatus.SUCCEEDED:
            return complete_invoke(op, now, result=to_json(self.store.payloads.load(child.output)))
        failure = json.loads(child.error) if child.error else {"type": child.status, "message": child.status}
        error = ErrorObject(
            message=failure.get("message"),
            type=failure.get("type") or child.status,
            data=json.dumps({"child_run_id": child_id, "status": child.status}),
            stack_trace=None,
        )
        return complete_invoke(op, now, error=error)


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _past(expires_at: str | None, now: datetime.datetime) -> bool:
    if not expires_at:
        return False
    return datetime.datetime.fromisoformat(expires_at.replace("Z", "+00:00")) <= now


def execute_durable(
    engine: Engine,
    record: RunRecord,
    workflow: Workflow,
    remaining_ms: Callable[[], int],
    runtime: StepRuntime,
) -> StepOutcome:
    """One invocation of a durable run's handler, and what the state machine does next."""
    store = engine.store
    if record.status == RunStatus.WAITING_FOR_INPUT:  # woken by a deadline, a timer or a child's end
        try:
            record = engine.lifecycle.resume(record.run_id, expect={"stop_requested": None})
        except ChangedMeanwhile as moved:
            if moved.current.status != RunStatus.RUNNING or moved.current.stop_requested:
                raise  # it ended, or a cancel is on its way: the worker stops
            record = moved.current  # an answer moved it on first
    if record.resuming:  # a worker has it: a cancel now stops it (engine/runs.py)
        record = store.runs.commit(
            record.run_id,
            updates={"resuming": None},
            expect_status={RunStatus.RUNNING},
            expect={"stop_requested": None},
        )
    runtime.latest = record  # what the invocation's next commit starts from (engine/execute.py)
    marker = record.wake_marker
    payloads = store.payloads
    scope = RunScope(
        record.run_id,
        record.tenant_id,
        workflow,
        workflow.config_model.model_validate(payloads.load(record.config)),
        json.loads(record.metadata),
        _Services(runtime),
        budgeted=record.budget is not None,
    )
    events = runtime.events
    backend = StackBackend(engine, record, workflow, scope, events)
    arn = host.execution_arn(workflow.name, record.run_id)
    assert workflow.handler is not None
    with bound(scope, arn):
        done = host.invoke(
            workflow.handler,
            workflow_name=workflow.name,
            run_id=record.run_id,
            # The input as the workflow's model reads it (its defaults filled in), as JSON.
            input_json=to_json(
                workflow.input_model.model_validate(payloads.load(record.input)).model_dump(mode="json")
            ),
            backend=backend,
            remaining_ms=remaining_ms,
            request_id=str(uuid.uuid4()),
        )
    events.flush()
    if done.status == "succeeded":
        engine.lifecycle.succeed(runtime.latest, workflow, done.result)
        return outcome("done")
    if done.status == "failed":
        engine.lifecycle.fail(record.run_id, done.error_type or "Error", done.error_message or "")
        return outcome("done")
    return _after_suspension(engine, backend, record.run_id, marker, done)


def _after_suspension(
    engine: Engine, backend: StackBackend, run_id: str, marker: str | None, done: host.Invocation
) -> StepOutcome:
    store = engine.store
    now = backend.now()
    if done.cut or store.runs.get(run_id).wake_marker != marker:
        return outcome("continue")
    ops = done.ops
    if operations.advance(ops, now) or backend.external(ops, now, force=True):
        return outcome("continue")
    pending = [c for c in backend._checkpoints.values() if c.status == PENDING]
    moments = [
        m
        for m in (operations.next_timer(ops.values()), *(_parse(c.expires_at) for c in pending))
        if m is not None
    ]
    seconds = max(1, math.ceil((min(moments) - now).total_seconds())) if moments else MAX_WAIT_SECONDS
    invokes = operations.open_of(ops.values(), OperationType.CHAINED_INVOKE)
    if pending:
        try:
            engine.lifecycle.park(run_id, expect={"stop_requested": None, "wake_marker": marker})
        except ChangedMeanwhile:
            return outcome("continue")  # answered meanwhile, or cancelled: Execute sees which
    if pending or invokes:
        return outcome("suspend", timeout_seconds=min(seconds, MAX_WAIT_SECONDS), wake=marker)
    if moments:
        return outcome("wait", timeout_seconds=seconds)
    callbacks = operations.open_of(ops.values(), OperationType.CALLBACK)
    raise RuntimeError(f"run {run_id} suspended with nothing to wait for ({len(callbacks)} open callbacks)")


def _parse(expires_at: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(expires_at.replace("Z", "+00:00")) if expires_at else None


class _Services:
    def __init__(self, runtime: StepRuntime) -> None:
        self.runtime = runtime

    def record_model_usage(self, model_id: str, usage: Usage) -> None:
        from agent_runtime.engine.usage import record_model_usage

        record_model_usage(self.runtime.engine, self.runtime.record.run_id, model_id, usage)

    def spend(self) -> Spend:
        from agent_runtime.engine import budgets
        from agent_runtime.workflows.budgets import Spend

        engine = self.runtime.engine
        return Spend.model_validate(
            budgets.spend(engine.store.runs, engine.store.runs.get(self.runtime.record.run_id))
        )

    def raise_budget(self, raised: RaiseBudget) -> None:
        engine, run_id = self.runtime.engine, self.runtime.record.run_id
        current = json.loads(engine.store.runs.get(run_id).budget or "{}")
        current.update(raised.model_dump(exclude_none=True))
        self.runtime.events.flush()
        self.runtime.commit(
            events=[NewEvent("run.budget_raised", {"budget": current})],
            updates={"budget": to_json(current)},
            expect_status={RunStatus.RUNNING},
            expect={"stop_requested": None},
        )

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        self.runtime.events.add(NewEvent(event_type, data))

    def put_artifact(self, name: str, body: bytes, content_type: str) -> str:
        # Content-addressed: the same name and bytes are the same artifact, however often saved.
        occurrence = int(hashlib.sha256(body).hexdigest()[:12], 16)
        return self.runtime.put_artifact("durable", name, occurrence, body, content_type)

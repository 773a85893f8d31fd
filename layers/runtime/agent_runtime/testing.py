"""A test kit for workflows: run any registered workflow in-process, with no moto and no network.

    from agent_runtime.testing import WorkflowTest, approve

    def test_triage_publishes_after_approval() -> None:
        run = WorkflowTest(triage).run({"items": ["a", "b"]}, answers={"review": approve("ok")})
        assert run.status == "succeeded"
        assert run.output["published"] is True
        assert run.events_of("step.succeeded")

Durable workflows run on the same service side the stack uses (engine/durable/host.py and
operations.py), over operations kept in memory; waits are fast-forwarded on a simulated clock; child
runs (`context.invoke`) run in the kit too. Step workflows run their steps in order. Checkpoints take
the scripted answer for their name (an Answer, or a function of the checkpoint); one with no scripted
answer leaves the run `waiting_for_input`, to be answered with `run.answer(...)` and `run.resume()`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.lambda_service import (
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from pydantic import BaseModel, ValidationError

from agent_runtime.engine.checkpoints import Answer, Approve, Reject, Submit
from agent_runtime.engine.durable import host, operations
from agent_runtime.engine.durable.answers import callback_ended
from agent_runtime.engine.durable.events import events_of_batch
from agent_runtime.engine.durable.operations import Applied, complete_invoke
from agent_runtime.store.operation_items import BatchTaken
from agent_runtime.store.run_items import RunStatus
from agent_runtime.workflows.checkpoints import CheckpointRequest, Resolution, Suspend
from agent_runtime.workflows.durable import Description, RunScope, bound
from agent_runtime.workflows.registry import Registry
from agent_runtime.workflows.sdk import StepContext, Workflow

if TYPE_CHECKING:
    from agent_runtime.models.types import Usage
    from agent_runtime.workflows.budgets import RaiseBudget, Spend

__all__ = [
    "Answer",
    "Approve",
    "KitCheckpoint",
    "KitRun",
    "Reject",
    "Submit",
    "WorkflowTest",
    "approve",
    "reject",
    "submit",
]


def approve(comment: str | None = None) -> Approve:
    return Approve(comment)


def reject(reason: str | None = None) -> Reject:
    return Reject(reason)


def submit(data: Mapping[str, Any]) -> Submit:
    return Submit(dict(data))


Script = Answer | Callable[["KitCheckpoint"], Answer | None]
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
MAX_INVOCATIONS = 10_000


@dataclass
class KitCheckpoint:
    checkpoint_id: str
    name: str
    type: str
    prompt: str
    payload: dict[str, Any]
    assignee: str | None
    deadline: datetime.datetime | None
    status: str = "pending"
    resolution: dict[str, Any] | None = None
    heartbeat: bool = False  # its deadline is the callback's heartbeat timeout


@dataclass
class KitRun:
    """A run in the kit: its status, output or error, events, checkpoints and usage."""

    run_id: str
    workflow: Workflow
    status: str = RunStatus.RUNNING
    output: Any = None
    error: dict[str, Any] | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    checkpoints: dict[str, KitCheckpoint] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=lambda: {"invocations": 0, "operations": 0, "steps": 0})
    children: list[KitRun] = field(default_factory=list)
    # artifact_id -> (name, content type, bytes)
    artifacts: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    # Model calls' tokens per model id, and the run's budget ({"max_cost_usd", "max_tokens"}).
    model_usage: dict[str, dict[str, int]] = field(default_factory=dict)
    budget: dict[str, Any] = field(default_factory=dict)
    _kit: WorkflowTest | None = field(default=None, repr=False)
    _drive: Callable[[], None] | None = field(default=None, repr=False)

    def events_of(self, event_type: str) -> list[dict[str, Any]]:
        return [data for kind, data in self.events if kind == event_type]

    @property
    def event_types(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def pending(self) -> list[KitCheckpoint]:
        return [c for c in self.checkpoints.values() if c.status == "pending"]

    def answer(self, checkpoint_id: str, answer: Answer, by: str = "tester") -> None:
        """Answer a pending checkpoint, as a person would through any door."""
        checkpoint = self.checkpoints[checkpoint_id]
        if checkpoint.status != "pending":
            raise ValueError(f"checkpoint {checkpoint_id} is {checkpoint.status}, not pending")
        checkpoint.status, checkpoint.resolution = "resolved", _resolution(answer, by)
        self.events.append(("checkpoint.resolved", {"checkpoint_id": checkpoint_id, **checkpoint.resolution}))

    def resume(self) -> KitRun:
        """Go on after answers given with `answer`."""
        if self._drive is not None:
            self.status = RunStatus.RUNNING
            self._drive()
        return self


def _resolution(answer: Answer, by: str) -> dict[str, Any]:
    at = "2026-01-01T00:00:00Z"
    if isinstance(answer, Approve):
        return {"decision": "approved", "comment": answer.comment, "by": by, "at": at, "via": "test"}
    if isinstance(answer, Reject):
        return {"decision": "rejected", "reason": answer.reason, "by": by, "at": at, "via": "test"}
    return {"decision": "submitted", "data": answer.data, "by": by, "at": at, "via": "test"}


class WorkflowTest:
    """Runs workflows in-process. `registry` resolves `context.invoke` targets (default: the workflow
    itself and the runtime's registry)."""

    def __init__(
        self,
        workflow: Workflow,
        *,
        registry: Registry | None = None,
        batches_per_invocation: int | None = None,
    ) -> None:
        self.workflow = workflow
        self.registry = registry
        self.now = START
        # Simulate the worker's time budget: an invocation ends after this many checkpoint batches,
        # as one nearing its Lambda timeout does on the stack (the run goes on in the next).
        self.batches_per_invocation = batches_per_invocation

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)

    def _lookup(self, function_name: str) -> Workflow:
        name, _, version = function_name.partition("@")
        if name == self.workflow.name and (not version or version == self.workflow.version):
            return self.workflow
        if self.registry is None:
            from agent_runtime.workflows.registry import registry

            return registry().get(name, version or None)
        return self.registry.get(name, version or None)

    def run(
        self,
        input: BaseModel | Mapping[str, Any],
        *,
        config: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        answers: Mapping[str, Script] | None = None,
        workflow: Workflow | None = None,
        budget: Mapping[str, Any] | None = None,
    ) -> KitRun:
        """Run to the end, or until a checkpoint nobody scripted an answer for."""
        target = workflow or self.workflow
        body = input.model_dump(mode="json") if isinstance(input, BaseModel) else dict(input)
        body = target.input_model.model_validate(body).model_dump(mode="json")  # as the stack passes it
        run = KitRun(str(uuid.uuid4()), target, _kit=self, budget=dict(budget or {}))
        run.events.append(("run.created", {"status": RunStatus.QUEUED}))
        run.events.append(("run.started", {"status": RunStatus.RUNNING}))
        config_value = target.config_model.model_validate(dict(config or {}))
        driver = (
            _DurableDriver(self, run, body, config_value, dict(metadata or {}), dict(answers or {}))
            if target.handler is not None
            else _StepsDriver(self, run, body, config_value, dict(metadata or {}), dict(answers or {}))
        )
        run._drive = driver.drive
        driver.drive()
        return run


def _save_artifact(
    run: KitRun, step: str, name: str, body: bytes, content_type: str, occurrence: int | None = None
) -> str:
    which = occurrence if occurrence is not None else hashlib.sha256(body).hexdigest()
    seed = f"{run.run_id}/{step}/{name}#{which}"
    artifact_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
    if artifact_id not in run.artifacts:
        run.artifacts[artifact_id] = (name, content_type, body)
        run.events.append(("artifact.created", {"artifact_id": artifact_id, "name": name}))
    return artifact_id


def _scripted(answers: Mapping[str, Script], checkpoint: KitCheckpoint) -> Answer | None:
    script = answers.get(checkpoint.name)
    if script is None or isinstance(script, (Approve, Reject, Submit)):
        return script
    return script(checkpoint)


def _finish(run: KitRun, output: Any) -> None:
    if isinstance(output, BaseModel):
        output = output.model_dump(mode="json")
    try:
        run.workflow.output_model.model_validate(output)
    except ValidationError as error:
        _fail(run, "OutputValidationError", str(error))
        return
    run.status, run.output = RunStatus.SUCCEEDED, output
    run.events.append(("run.succeeded", {"status": RunStatus.SUCCEEDED, "output": output}))


def _fail(run: KitRun, error_type: str, message: str) -> None:
    run.status, run.error = RunStatus.FAILED, {"type": error_type, "message": message}
    run.events.append(("run.failed", {"status": RunStatus.FAILED, "error": run.error}))


class _DurableDriver:
    """What Step Functions and the engine do for a durable run, in memory: invoke, then resume after
    answers, fast-forwarded timers and finished child runs."""

    def __init__(
        self,
        kit: WorkflowTest,
        run: KitRun,
        body: dict[str, Any],
        config: Any,
        metadata: dict[str, Any],
        answers: dict[str, Script],
    ) -> None:
        self.kit, self.run, self.body, self.answers = kit, run, body, answers
        self.batches: list[list[Operation]] = []
        self.child_runs: dict[str, KitRun] = {}
        self.scope = RunScope(
            run.run_id, "test", run.workflow, config, metadata, self, budgeted=bool(run.budget)
        )

    # -- Backend ---------------------------------------------------------------------------------
    def now(self) -> datetime.datetime:
        return self.kit.now

    def load(self) -> tuple[int, dict[str, Operation]]:
        ops: dict[str, Operation] = {}
        for batch in self.batches:
            ops.update({op.operation_id: op for op in batch})
        for op in [*operations.advance(ops, self.now()), *self.external(ops, self.now())]:
            ops[op.operation_id] = op
        return len(self.batches), ops

    def append(self, seq: int, changed: list[Operation]) -> None:
        if seq != len(self.batches) + 1:
            raise BatchTaken(f"batch {seq}")
        # Round-trip through the stored form, as the stack does.
        self.batches.append([operations.decode(operations.encode(op)) for op in changed])

    def callback_id(self, update: OperationUpdate, ops: Mapping[str, Operation]) -> str:
        return f"{update.name or 'callback'}-{len(self.run.checkpoints) + 1}"

    def before_store(self, applied: list[Applied], ops: Mapping[str, Operation]) -> None:
        for done in applied:
            update = done.update
            if update.action is not OperationAction.START or done.before is not None:
                continue
            if update.operation_type is OperationType.CALLBACK:
                self._open_checkpoint(done.after, update)
            elif update.operation_type is OperationType.CHAINED_INVOKE and update.chained_invoke_options:
                target = self.kit._lookup(update.chained_invoke_options.function_name)
                payload = json.loads(update.payload) if update.payload else {}
                child = self.kit.run(payload, workflow=target, answers=self.answers)
                self.child_runs[update.operation_id] = child
                self.run.children.append(child)

    def after_store(self, applied: list[Applied]) -> None:
        self.run.usage["operations"] += sum(1 for a in applied if a.before is None)
        self.run.usage["steps"] += sum(
            1
            for a in applied
            if a.update.operation_type is OperationType.STEP
            and a.update.action in (OperationAction.SUCCEED, OperationAction.FAIL, OperationAction.RETRY)
        )
        for event_type, data in events_of_batch(applied, child_run_id=self._child_id):
            self.run.events.append((event_type, dict(data)))

    def _child_id(self, operation_id: str) -> str:
        child = self.child_runs.get(operation_id)
        return child.run_id if child else ""

    def external(self, ops: Mapping[str, Operation], now: datetime.datetime) -> list[Operation]:
        moved: list[Operation] = []
        for op in operations.open_of(ops.values(), OperationType.CALLBACK):
            checkpoint = self.run.checkpoints.get(
                op.callback_details.callback_id if op.callback_details else ""
            )
            if checkpoint is None:
                continue
            if (
                checkpoint.status == "pending"
                and checkpoint.deadline is not None
                and checkpoint.deadline <= now
            ):
                checkpoint.status = "expired"
                self.run.events.append(("checkpoint.expired", {"checkpoint_id": checkpoint.checkpoint_id}))
            ended = callback_ended(
                op, checkpoint.status, checkpoint.resolution, now, heartbeat=checkpoint.heartbeat
            )
            if ended is not None:
                moved.append(ended)
        for op in operations.open_of(ops.values(), OperationType.CHAINED_INVOKE):
            child = self.child_runs.get(op.operation_id)
            if child is None or child.status in (RunStatus.RUNNING, RunStatus.WAITING_FOR_INPUT):
                continue
            if child.status == RunStatus.SUCCEEDED:
                moved.append(complete_invoke(op, now, result=json.dumps(child.output)))
            else:
                from aws_durable_execution_sdk_python.lambda_service import ErrorObject

                error = child.error or {"type": child.status, "message": child.status}
                moved.append(
                    complete_invoke(
                        op,
                        now,
                        error=ErrorObject(
                            message=error.get("message"), type=error.get("type"), data=None, stack_trace=None
                        ),
                    )
                )
        return moved

    # -- RunServices -------------------------------------------------------------------------------
    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        self.run.events.append((event_type, data))

    def put_artifact(self, name: str, body: bytes, content_type: str) -> str:
        return _save_artifact(self.run, "durable", name, body, content_type)

    def record_model_usage(self, model_id: str, usage: Usage) -> None:
        tokens = self.run.model_usage.setdefault(model_id, {"calls": 0})
        tokens["calls"] += 1
        for name, value in usage.model_dump().items():
            tokens[name] = tokens.get(name, 0) + int(value)

    def spend(self) -> Spend:
        from agent_runtime.engine.usage import model_cost
        from agent_runtime.workflows.budgets import Spend

        models = self.run.model_usage
        return Spend(
            spent_usd=sum(model_cost(m, t) or 0.0 for m, t in models.items()),
            tokens=sum(
                t.get("input_tokens", 0) + t.get("output_tokens", 0) + t.get("cached_tokens", 0)
                for t in models.values()
            ),
            max_cost_usd=self.run.budget.get("max_cost_usd"),
            max_tokens=self.run.budget.get("max_tokens"),
        )

    def raise_budget(self, raised: RaiseBudget) -> None:
        self.run.budget.update(raised.model_dump(exclude_none=True))
        self.run.events.append(("run.budget_raised", {"budget": dict(self.run.budget)}))

    def _open_checkpoint(self, op: Operation, update: OperationUpdate) -> None:
        checkpoint_id = op.callback_details.callback_id if op.callback_details else op.operation_id
        name = update.name or "callback"
        kind = self.run.workflow.checkpoints.get(name)
        described = self.scope.take_description(name) or Description(name, {})
        timeout, heartbeat = operations.callback_deadline(update)
        checkpoint = KitCheckpoint(
            checkpoint_id,
            name,
            kind.type if kind else "input",
            described.prompt,
            described.payload,
            described.assignee,
            self.now() + datetime.timedelta(seconds=timeout) if timeout else None,
            heartbeat=heartbeat,
        )
        self.run.checkpoints[checkpoint_id] = checkpoint
        self.run.events.append(
            ("checkpoint.created", {"checkpoint_id": checkpoint_id, "name": name, "prompt": described.prompt})
        )

    # -- the loop ------------------------------------------------------------------------------
    def drive(self) -> None:
        run = self.run
        for _ in range(MAX_INVOCATIONS):
            run.usage["invocations"] += 1
            budget = self.kit.batches_per_invocation
            calls = iter(range(budget)) if budget is not None else None

            def remaining_ms(calls: Iterator[int] | None = calls) -> int:
                return 900_000 if calls is None or next(calls, None) is not None else 0

            with bound(self.scope, host.execution_arn(run.workflow.name, run.run_id)):
                outcome = host.invoke(
                    run.workflow.handler,  # type: ignore[arg-type]
                    workflow_name=run.workflow.name,
                    run_id=run.run_id,
                    input_json=json.dumps(self.body),
                    backend=self,
                    remaining_ms=remaining_ms,
                    request_id=str(uuid.uuid4()),
                )
            if outcome.status == "succeeded":
                _finish(run, outcome.result)
                return
            if outcome.status == "failed":
                _fail(run, outcome.error_type or "Error", outcome.error_message or "")
                return
            if outcome.cut:
                continue  # the invocation ran out of time: the next goes on
            if not self._settle(outcome.ops):
                run.status = RunStatus.WAITING_FOR_INPUT
                return
        raise RuntimeError(f"run {run.run_id} did not end within {MAX_INVOCATIONS} invocations")

    def _settle(self, ops: Mapping[str, Operation]) -> bool:
        """Make progress possible after a suspension; False when only a person can."""
        now = self.now()
        if operations.advance(ops, now) or self.external(ops, now):
            return True
        for checkpoint in self.run.pending():
            answer = _scripted(self.answers, checkpoint)
            if answer is not None:
                self.run.answer(checkpoint.checkpoint_id, answer)
        if self.external(ops, now):
            return True
        deadlines = [c.deadline for c in self.run.pending() if c.deadline is not None]
        timer = operations.next_timer(ops.values())
        moments = [m for m in (timer, *deadlines) if m is not None]
        if moments:
            self.kit.now = max(self.kit.now, min(moments))
            return True
        return False


class _StepsDriver:
    """A step workflow's steps in order, with the kit's checkpoints."""

    def __init__(
        self,
        kit: WorkflowTest,
        run: KitRun,
        body: dict[str, Any],
        config: Any,
        metadata: dict[str, Any],
        answers: dict[str, Script],
    ) -> None:
        self.kit, self.run, self.answers = kit, run, answers
        self.ctx = StepContext(
            run.run_id,
            "test",
            run.workflow,
            run.workflow.input_model.model_validate(body),
            config,
            metadata,
            {},
            {},
            runtime=self,
        )
        self.next_step = 0
        self.attempt = 0  # failed attempts of the step at next_step

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        self.run.events.append((event_type, data))

    def checkpoint(self, step_name: str, sequence: int, request: CheckpointRequest) -> Resolution:
        checkpoint_id = f"{step_name}-{sequence}"
        existing = self.run.checkpoints.get(checkpoint_id)
        if existing is None:
            existing = KitCheckpoint(
                checkpoint_id,
                request.name,
                request.kind.type,
                request.prompt,
                request.payload,
                request.assignee,
                None,
            )
            self.run.checkpoints[checkpoint_id] = existing
            self.run.events.append(
                ("checkpoint.created", {"checkpoint_id": checkpoint_id, "name": request.name})
            )
            answer = _scripted(self.answers, existing)
            if answer is not None:
                self.run.answer(checkpoint_id, answer)
        if existing.status == "pending":
            raise Suspend(checkpoint_id, request.timeout_seconds or 0)
        body = existing.resolution or {}
        return Resolution(
            checkpoint_id,
            body.get("decision", "submitted"),
            comment=body.get("comment"),
            reason=body.get("reason"),
            data=body.get("data"),
            by=body.get("by"),
        )

    def put_artifact(self, step_name: str, name: str, occurrence: int, body: bytes, content_type: str) -> str:
        return _save_artifact(self.run, step_name, name, body, content_type, occurrence)

    def drive(self) -> None:
        steps = self.run.workflow.steps
        while self.next_step < len(steps):
            step = steps[self.next_step]
            self.ctx.begin_step(step.name)
            index, attempt = self.next_step, self.attempt + 1
            self.run.events.append(("step.started", {"step": step.name, "index": index, "attempt": attempt}))
            state = json.loads(json.dumps(self.ctx.state))  # an attempt that fails keeps none of its state
            try:
                result = step.fn(self.ctx)
            except Suspend:
                self.ctx.state = state  # the step runs again from its start once answered
                self.run.status = RunStatus.WAITING_FOR_INPUT
                return
            except step.retry.retry_on as error:
                self.ctx.state = state
                if attempt >= step.retry.max_attempts:
                    _fail(
                        self.run,
                        type(error).__name__,
                        f"{error} (attempt {attempt} of {step.retry.max_attempts})",
                    )
                    return
                self.attempt = attempt
                self.kit.advance(step.retry.delay_after(attempt))
                error_view = {"type": type(error).__name__, "message": str(error)}
                self.run.events.append(
                    (
                        "step.retrying",
                        {"step": step.name, "index": index, "attempt": attempt, "error": error_view},
                    )
                )
                continue
            except Exception as error:
                _fail(self.run, type(error).__name__, str(error))
                return
            self.attempt = 0
            if isinstance(result, BaseModel):
                result = result.model_dump(mode="json")
            self.ctx.results[step.name] = result
            self.run.usage["steps"] += 1
            self.run.events.append(("step.completed", {"step": step.name, "index": self.next_step}))
            self.next_step += 1
        _finish(self.run, self.ctx.results.get(steps[-1].name) if steps else None)

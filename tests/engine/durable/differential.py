"""Differential runs of durable handlers: the runtime's service side against the SDK's own local runner.

One handler (a `@durable_execution` function of the AWS Durable Execution SDK) runs twice:

- on the runtime: engine/durable/host.py invokes it over operations kept in memory by `MemoryBackend`
  below, which plays the part the stack (engine/durable/stack.py) plays in the cloud with the same
  pieces: operations.apply for the SDK's updates, operations.advance for time, complete_callback and
  complete_invoke for what the outside world ends, callback deadlines from the callback's timeout;
- on `DurableFunctionTestRunner` of `aws-durable-execution-sdk-python-testing` (its in-memory executor).

Callbacks are answered the same way on both (a fixed payload, a fixed failure, or never: then they time
out where the handler set a timeout), and only once the invocation that created them has ended, as the
SDK runner's own `wait_for_callback` does. What is compared: the status, the result (as JSON), the
error type, and every operation (type, sub_type, name, status, parent, a digest of its result or error,
its step attempt), ordered by its place in the code: the SDK's operation ids are blake2b hashes of the
parent's id and a counter, so each id is mapped back to its counter path ("2.1.3"), which is the same
whatever order concurrent branches ran in.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_durable_execution_sdk_python.identifier import OperationIdNamespace
from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)

from agent_runtime.engine.durable import host, operations
from agent_runtime.engine.durable.operations import Applied
from agent_runtime.store.operation_items import BatchTaken

Handler = Callable[[Any, Any], Any]
Policy = Literal["succeed", "fail", "ignore"]

# What an answered callback gets, on both runners.
CALLBACK_RESULT = '{"answer":"yes"}'
CALLBACK_ERROR = ErrorObject(message="no, thanks", type="CallbackRejected", data=None, stack_trace=None)
START = datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC)
MAX_INVOCATIONS = 2_000
# The SDK runner's execution timeout (its clock skips idle time, so this is simulated time).
EXECUTION_TIMEOUT_SECONDS = 366 * 24 * 3600


@dataclass(frozen=True)
class Case:
    name: str
    handler: Handler
    input: Any = None
    callbacks: Policy = "succeed"
    callback_result: str = CALLBACK_RESULT  # what an answered callback gets ("succeed")
    # context.invoke targets (durable handlers), by the function name the handler invokes.
    targets: Mapping[str, Handler] = field(default_factory=dict)
    # Real seconds the SDK runner may take.
    timeout: float = 60.0


@dataclass(frozen=True)
class Op:
    """One operation as compared: its place, what it is, how it ended."""

    position: str
    type: str
    sub_type: str | None
    name: str | None
    status: str
    parent: str | None
    digest: str | None
    attempt: int | None

    def row(self) -> str:
        parts = [self.position, self.type, self.sub_type or "-", repr(self.name), self.status]
        parts += [f"parent={self.parent or '-'}", f"digest={self.digest or '-'}"]
        if self.attempt is not None:
            parts.append(f"attempt={self.attempt}")
        return " ".join(parts)


@dataclass(frozen=True)
class Outcome:
    status: str  # SUCCEEDED, FAILED, TIMED_OUT (the SDK runner's execution timeout), PENDING, ERROR
    result: Any = None
    error_type: str | None = None
    error_message: str | None = None
    operations: tuple[Op, ...] = ()


# -- what is compared ----------------------------------------------------------------------------------


def _error_key(error: ErrorObject | None) -> list[str | None] | None:
    # Stack traces are left out: they name frames of each runner's own code.
    return None if error is None else [_short(error.type), error.message, error.data]


def _short(error_type: str | None) -> str | None:
    return None if error_type is None else error_type.rsplit(".", 1)[-1]


def _digest(op: Operation) -> str | None:
    parts: list[Any] = []
    if op.step_details is not None:
        parts = [op.step_details.result, _error_key(op.step_details.error)]
    elif op.context_details is not None:
        parts = [op.context_details.result, _error_key(op.context_details.error)]
    elif op.callback_details is not None:
        parts = [op.callback_details.result, _error_key(op.callback_details.error)]
    elif op.chained_invoke_details is not None:
        parts = [op.chained_invoke_details.result, _error_key(op.chained_invoke_details.error)]
    if not any(p is not None for p in parts):
        return None
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]


def positions(ops: Iterable[Operation]) -> dict[str, str]:
    """Each operation id's counter path: "3" is the handler's third operation, "3.2" the second one
    inside it (map and parallel number their branches from 0). Branches of flat map/parallel are
    virtual (never stored): their operations hang off the map's CONTEXT but take ids from the
    branch's."""
    by_id = {op.operation_id: op for op in ops}
    children: dict[str | None, int] = {}
    for op in by_id.values():
        children[op.parent_id] = children.get(op.parent_id, 0) + 1
    found: dict[str, str] = {}
    todo: list[tuple[str | None, str, int]] = [(None, "", children.get(None, 0))]
    while todo:
        prefix, path, expected = todo.pop()
        namespace = OperationIdNamespace(prefix)
        virtual = prefix is not None and by_id[prefix].operation_type is OperationType.CONTEXT
        matched, step, misses = 0, -1, 0
        while matched < expected and misses < 64:
            step += 1
            op_id = namespace.create_id_for_step(step)
            if op_id in by_id and op_id not in found:
                found[op_id] = f"{path}{step}"
                matched += 1
                misses = 0
                todo.append((op_id, f"{path}{step}.", children.get(op_id, 0)))
                continue
            misses += 1
            if virtual:  # a flat branch: its operations' ids come from its own (unstored) id
                inner = OperationIdNamespace(op_id)
                sub = 0
                while (inner_id := inner.create_id_for_step(sub + 1)) in by_id:
                    sub += 1
                    found[inner_id] = f"{path}{step}.{sub}"
                    matched += 1
                    misses = 0
                    todo.append((inner_id, f"{path}{step}.{sub}.", children.get(inner_id, 0)))
    for op_id in by_id:
        found.setdefault(op_id, f"?{op_id[:8]}")
    return found


def _order(position: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in position.split("."))


def project(ops: Iterable[Operation]) -> tuple[Op, ...]:
    """The operations as compared, in code order (the EXECUTION operation is the run itself)."""
    listed = [op for op in ops if op.operation_type is not OperationType.EXECUTION]
    where = positions(listed)
    rows = [
        Op(
            position=where[op.operation_id],
            type=op.operation_type.value,
            sub_type=op.sub_type,
            name=op.name,
            status=op.status.value,
            parent=where.get(op.parent_id) if op.parent_id else None,
            digest=_digest(op),
            attempt=op.step_details.attempt if op.step_details else None,
        )
        for op in listed
    ]
    return tuple(sorted(rows, key=lambda r: _order(r.position)))


def _result(raw: str | None) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def differences(runtime: Outcome, sdk: Outcome) -> list[str]:
    """What differs between the two runs, one line each (empty: they agree)."""
    out: list[str] = []
    if runtime.status != sdk.status:
        out.append(f"status: runtime {runtime.status}, SDK runner {sdk.status}")
    if runtime.result != sdk.result:
        out.append(f"result: runtime {_clip(runtime.result)}, SDK runner {_clip(sdk.result)}")
    if runtime.error_type != sdk.error_type:
        out.append(f"error type: runtime {runtime.error_type}, SDK runner {sdk.error_type}")
    ours = {op.position: op for op in runtime.operations}
    theirs = {op.position: op for op in sdk.operations}
    for position in sorted(ours.keys() | theirs.keys(), key=_order):
        a, b = ours.get(position), theirs.get(position)
        if a == b:
            continue
        if a is None or b is None:
            which, op = ("only on the SDK runner", b) if a is None else ("only on the runtime", a)
            assert op is not None
            out.append(f"operation {position} {which}: {op.row()}")
            continue
        fields = [
            f"{name} {getattr(a, name)!r} vs {getattr(b, name)!r}"
            for name in ("type", "sub_type", "name", "status", "parent", "digest", "attempt")
            if getattr(a, name) != getattr(b, name)
        ]
        out.append(f"operation {position} ({a.type} {a.name!r}): " + ", ".join(fields))
    return out


def _clip(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# -- the runtime -----------------------------------------------------------------------------------------


class MemoryBackend:
    """host.Backend over memory, standing in for the stack: a simulated clock, callbacks answered by
    the policy between invocations, timed out at their timeout, invokes run as child executions."""

    def __init__(self, case: Case, clock: list[datetime.datetime]) -> None:
        self.case = case
        self.clock = clock  # shared with child executions: one world, one time
        self.batches: list[list[Operation]] = []
        self.deadlines: dict[str, datetime.datetime] = {}  # callback operation id -> when it times out
        self.heartbeats: set[str] = set()  # callbacks whose deadline is their heartbeat timeout
        self.ended: dict[str, Operation] = {}  # callbacks and invokes the outside world ended
        self.children: dict[str, Outcome] = {}

    def now(self) -> datetime.datetime:
        return self.clock[0]

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
        self.batches.append([operations.decode(operations.encode(op)) for op in changed])  # as stored

    def callback_id(self, update: OperationUpdate, ops: Mapping[str, Operation]) -> str:
        return f"{update.name or 'callback'}-{sum(1 for op in ops.values() if op.callback_details) + 1}"

    def before_store(self, applied: list[Applied], ops: Mapping[str, Operation]) -> None:
        for done in applied:
            update = done.update
            if update.action is not OperationAction.START or done.before is not None:
                continue
            if update.operation_type is OperationType.CALLBACK:
                timeout, heartbeat = operations.callback_deadline(update)
                if timeout:
                    self.deadlines[update.operation_id] = self.now() + datetime.timedelta(seconds=timeout)
                    if heartbeat:
                        self.heartbeats.add(update.operation_id)
            elif update.operation_type is OperationType.CHAINED_INVOKE and update.chained_invoke_options:
                self.children[update.operation_id] = self._child(
                    update.chained_invoke_options.function_name, update.payload
                )

    def _child(self, function_name: str, payload: str | None) -> Outcome:
        target = self.case.targets.get(function_name)
        if target is None:
            return Outcome("FAILED", error_type="ChildRunNotStarted", error_message=function_name)
        child = Case(
            f"{self.case.name}/{function_name}",
            target,
            _result(payload),
            self.case.callbacks,
            self.case.callback_result,
        )
        return run_on_runtime(child, clock=self.clock)

    def after_store(self, applied: list[Applied]) -> None:
        return None

    def external(self, ops: Mapping[str, Operation], now: datetime.datetime) -> list[Operation]:
        moved: list[Operation] = []
        for op in operations.open_of(ops.values(), OperationType.CALLBACK):
            if op.operation_id in self.ended:
                moved.append(self.ended[op.operation_id])
            elif (deadline := self.deadlines.get(op.operation_id)) is not None and deadline <= now:
                heartbeat = op.operation_id in self.heartbeats
                moved.append(operations.complete_callback(op, now, timed_out=True, heartbeat=heartbeat))
        for op in operations.open_of(ops.values(), OperationType.CHAINED_INVOKE):
            child = self.children.get(op.operation_id)
            if child is None or child.status == "PENDING":
                continue
            if child.status == "SUCCEEDED":
                moved.append(operations.complete_invoke(op, now, result=json.dumps(child.result)))
            else:
                error = ErrorObject(
                    message=child.error_message, type=child.error_type, data=None, stack_trace=None
                )
                moved.append(operations.complete_invoke(op, now, error=error))
        return moved

    def answer(self, ops: Mapping[str, Operation]) -> bool:
        """Answer the open callbacks by the policy; whether any was."""
        if self.case.callbacks == "ignore":
            return False
        answered = False
        for op in operations.open_of(ops.values(), OperationType.CALLBACK):
            if op.operation_id in self.ended:
                continue
            now = self.now()
            self.ended[op.operation_id] = (
                operations.complete_callback(op, now, result=self.case.callback_result)
                if self.case.callbacks == "succeed"
                else operations.complete_callback(op, now, error=CALLBACK_ERROR)
            )
            answered = True
        return answered


def run_on_runtime(case: Case, *, clock: list[datetime.datetime] | None = None) -> Outcome:
    """The handler on the runtime's service side, invoked until it ends or only waits for nobody."""
    backend = MemoryBackend(case, clock if clock is not None else [START])
    run_id = str(uuid.uuid4())
    give_up = time.monotonic() + case.timeout
    for _ in range(MAX_INVOCATIONS):
        if time.monotonic() > give_up:
            break
        try:
            done = host.invoke(
                case.handler,
                workflow_name=case.name.replace("/", "-"),
                run_id=run_id,
                input_json=json.dumps(case.input),
                backend=backend,
                remaining_ms=lambda: 900_000,
                request_id=str(uuid.uuid4()),
            )
        except Exception as error:  # the host itself broke: a finding, not a result
            return Outcome("ERROR", error_type=type(error).__name__, error_message=str(error))
        ops = done.ops
        if done.status == "succeeded":
            return Outcome("SUCCEEDED", done.result, operations=project(ops.values()))
        if done.status == "failed":
            return Outcome(
                "FAILED",
                error_type=done.error_type,
                error_message=done.error_message,
                operations=project(ops.values()),
            )
        now = backend.now()
        if done.cut or operations.advance(ops, now) or backend.external(ops, now):
            continue
        if backend.answer(ops):
            continue
        moments = [m for m in (operations.next_timer(ops.values()), *backend.deadlines.values()) if m]
        later = [m for m in moments if m > now]
        if later:
            backend.clock[0] = min(later)
            continue
        return Outcome("PENDING", operations=project(ops.values()))
    # Still going after MAX_INVOCATIONS or the case's time: as the SDK runner reports a run it gave up on.
    return Outcome("PENDING", operations=project(backend.load()[1].values()))


# -- the SDK's local runner -------------------------------------------------------------------------


def run_on_sdk(case: Case) -> Outcome:
    """The handler on the SDK's DurableFunctionTestRunner (in memory, its clock skipping idle time)."""
    from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
    from aws_durable_execution_sdk_python_testing.stores.memory import InMemoryExecutionStore

    store = InMemoryExecutionStore()
    with DurableFunctionTestRunner(case.handler, poll_interval=0.01, store=store) as runner:
        for function_name, target in case.targets.items():
            runner.register_durable_function(function_name, target)
        arn = runner.run_async(input=json.dumps(case.input), execution_timeout=EXECUTION_TIMEOUT_SECONDS)
        answered: set[str] = set()
        give_up = time.monotonic() + case.timeout
        while not store.load(arn).is_complete:
            if time.monotonic() > give_up:
                return Outcome("PENDING", operations=project(store.load(arn).operations))
            if case.callbacks != "ignore":
                for callback_id in _ready_callbacks(store.load(arn), answered):
                    answered.add(callback_id)
                    if case.callbacks == "succeed":
                        runner.send_callback_success(callback_id, case.callback_result.encode())
                    else:
                        runner.send_callback_failure(callback_id, CALLBACK_ERROR)
            time.sleep(0.005)
        result = runner.wait_for_result(arn, timeout=10)
        execution = store.load(arn)
        status = execution.close_status.value if execution.close_status else result.status.value
        error = result.error
        return Outcome(
            status,
            _result(result.result),
            error_type=_short(error.type) if error else None,
            error_message=error.message if error else None,
            operations=project(execution.operations),
        )


def _ready_callbacks(execution: Any, answered: set[str]) -> list[str]:
    """Open callbacks whose creating invocation has ended (what the runner's wait_for_callback waits
    for: an answer before that would race the invocation still running)."""
    ends = [c.end_timestamp for c in execution.invocation_completions]
    ready: list[str] = []
    for op in execution.operations:
        if op.operation_type is not OperationType.CALLBACK or op.status is not OperationStatus.STARTED:
            continue
        callback_id = op.callback_details.callback_id if op.callback_details else None
        if not callback_id or callback_id in answered or op.start_timestamp is None:
            continue
        if any(end >= op.start_timestamp for end in ends):
            ready.append(callback_id)
    return ready


@dataclass(frozen=True)
class Compared:
    case: Case
    runtime: Outcome
    sdk: Outcome
    differences: list[str]

    @property
    def agreed(self) -> bool:
        return not self.differences


def compare(case: Case) -> Compared:
    runtime = run_on_runtime(case)
    sdk = run_on_sdk(case)
    return Compared(case, runtime, sdk, differences(runtime, sdk))

"""One invocation of a durable workflow's handler: the SDK's service client over a run's operations.

The SDK calls `checkpoint` from its background thread with batches of operation updates; each batch is
applied (operations.py), its side effects run through the Backend (a callback becomes a checkpoint, an
invoke a child run: both idempotent, and before the batch is stored, so a crash in between repeats them
harmlessly), then stored as one record whose sequence number is the next checkpoint token. The reply
carries what changed, including what time or the outside world changed meanwhile (a wait that ended, a
callback answered while the handler ran).

Where the invocation must stop early (the time budget of one Lambda invocation), a reply without a
token makes the SDK stop and report PENDING; the state machine invokes again.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from aws_durable_execution_sdk_python.exceptions import CheckpointError, DurableApiErrorCategory
from aws_durable_execution_sdk_python.execution import (
    DurableExecutionInvocationInputWithClient,
    InitialExecutionState,
)
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    Operation,
    OperationType,
    OperationUpdate,
    StateOutput,
)

from agent_runtime.engine.durable import operations
from agent_runtime.engine.durable.operations import Applied, InvalidUpdate
from agent_runtime.store.operation_items import BatchTaken

log = logging.getLogger(__name__)

EXECUTION_ID = "execution"
# Start no new batch with less than this left of the invocation: the state machine calls again.
MIN_REMAINING_MS = 10_000


class Backend(Protocol):
    """Where a run's operations live and what their changes cause (the stack: engine/durable/stack.py;
    the test kit: agent_runtime/testing.py)."""

    def now(self) -> datetime.datetime: ...

    def load(self) -> tuple[int, dict[str, Operation]]:
        """The stored batches' sequence number and the operations, with what the outside world ended
        (answered callbacks, finished child runs) and what time ended applied."""
        ...

    def append(self, seq: int, changed: list[Operation]) -> None:
        """Store batch `seq` (BatchTaken if another invocation did)."""
        ...

    def before_store(self, applied: list[Applied], operations: Mapping[str, Operation]) -> None:
        """Side effects of a batch, idempotent: create checkpoints for callbacks, child runs for invokes."""
        ...

    def after_store(self, applied: list[Applied]) -> None:
        """Events of a stored batch."""
        ...

    def external(self, ops: Mapping[str, Operation], now: datetime.datetime) -> list[Operation]:
        """Open callbacks and invokes the outside world ended, as they are now (may be rate-limited)."""
        ...

    def callback_id(self, update: OperationUpdate, ops: Mapping[str, Operation]) -> str:
        """The id a starting callback gets (the checkpoint id people answer)."""
        ...


def stale_token(message: str) -> CheckpointError:
    # The SDK treats this message as retryable: the invocation fails and is made again.
    return CheckpointError(f"Invalid checkpoint token: {message}", DurableApiErrorCategory.INVOCATION)


@dataclass
class RunServiceClient:
    """The SDK's DurableServiceClient (its injectable seam) over one run's operations."""

    backend: Backend
    seq: int
    ops: dict[str, Operation]
    remaining_ms: Callable[[], int]
    cut: bool = False  # a reply went without a token: the SDK stops, the run goes on in a new invocation
    updates_applied: int = 0
    # A result too large for the handler's response comes with the EXECUTION's succeed update.
    execution_result: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Ids of the operations time or the outside world may still change (a wait, a retry's delay, an
    # open callback or invoke): each checkpoint looks at these, not at every operation of the run, so a
    # batch costs the same at the 10,000th operation as at the first.
    _watched: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._watch(self.ops.values())

    def _watch(self, changed: Iterable[Operation]) -> None:
        for op in changed:
            if operations.may_change(op):
                self._watched.add(op.operation_id)
            else:
                self._watched.discard(op.operation_id)

    @property
    def token(self) -> str:
        return str(self.seq)

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None,
    ) -> CheckpointOutput:
        with self._lock:
            if checkpoint_token != self.token:
                raise stale_token(f"{checkpoint_token} is not the current token {self.token}")
            now = self.backend.now()
            working = ChainMap[str, Operation]({}, self.ops)  # the batch's changes over the run's operations
            applied: list[Applied] = []
            try:
                for update in updates:
                    callback_id = (
                        self.backend.callback_id(update, working)
                        if update.operation_type is OperationType.CALLBACK
                        and update.operation_id not in working
                        else ""
                    )
                    done = operations.apply(working, update, now, callback_id)
                    working[done.after.operation_id] = done.after
                    applied.append(done)
            except InvalidUpdate as invalid:
                raise CheckpointError(str(invalid), DurableApiErrorCategory.EXECUTION) from invalid
            changed = {a.after.operation_id: a.after for a in applied}
            for update in updates:
                if update.operation_type is OperationType.EXECUTION and update.payload:
                    self.execution_result = update.payload
            if changed:
                self.backend.before_store(applied, working)
                try:
                    self.backend.append(self.seq + 1, list(changed.values()))
                except BatchTaken as taken:
                    raise stale_token(str(taken)) from taken
                self.seq += 1
                self.updates_applied += len(applied)
            self.ops.update(working.maps[0])
            self._watch(working.maps[0].values())
            self.backend.after_store(applied)
            watched = {op_id: self.ops[op_id] for op_id in self._watched}
            moved = [*operations.advance(watched, now), *self.backend.external(watched, now)]
            for op in moved:
                self.ops[op.operation_id] = op
                changed[op.operation_id] = op
            self._watch(moved)
            ends_execution = any(u.operation_type is OperationType.EXECUTION for u in updates)
            token: str | None = self.token
            if not ends_execution and self.remaining_ms() < MIN_REMAINING_MS:
                token, self.cut = None, True
            return CheckpointOutput(
                checkpoint_token=token,
                new_execution_state=CheckpointUpdatedExecutionState(operations=list(changed.values())),
            )

    def get_execution_state(
        self, durable_execution_arn: str, checkpoint_token: str, next_marker: str, max_items: int = 1000
    ) -> StateOutput:
        with self._lock:  # every operation was in the first page: nothing follows
            return StateOutput(operations=[], next_marker=None)


Status = Literal["succeeded", "failed", "pending"]


@dataclass(frozen=True)
class Invocation:
    """How one invocation ended, and the run's operations after it."""

    status: Status
    result: Any = None
    error_type: str | None = None
    error_message: str | None = None
    cut: bool = False
    ops: dict[str, Operation] = field(default_factory=dict)
    updates: int = 0


@dataclass(frozen=True)
class LambdaContext:
    """The Lambda context the SDK reads (only aws_request_id, for its plugins)."""

    aws_request_id: str
    function_name: str = "agent-runtime-durable"
    remaining: Callable[[], int] = lambda: 900_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining()


def execution_arn(workflow_name: str, run_id: str) -> str:
    # The SDK takes the EXECUTION operation's id from the ARN's last segment.
    function = f"arn:aws:lambda:local:000000000000:function:{workflow_name}"
    return f"{function}/durable-execution/{run_id}/{EXECUTION_ID}"


def invoke(
    handler: Callable[[Any, Any], Any],
    *,
    workflow_name: str,
    run_id: str,
    input_json: str,
    backend: Backend,
    remaining_ms: Callable[[], int],
    request_id: str,
) -> Invocation:
    """Invoke the handler once over the run's operations (the first time, store its EXECUTION)."""
    seq, ops = backend.load()
    if EXECUTION_ID not in ops:
        first = operations.execution_operation(EXECUTION_ID, input_json, backend.now())
        backend.append(seq + 1, [first])
        seq, ops = seq + 1, {**ops, EXECUTION_ID: first}
    client = RunServiceClient(backend, seq, dict(ops), remaining_ms)
    event = DurableExecutionInvocationInputWithClient(
        durable_execution_arn=execution_arn(workflow_name, run_id),
        checkpoint_token=client.token,
        initial_execution_state=InitialExecutionState(operations=list(ops.values()), next_marker=""),
        updated_operation_ids=[],
        service_client=client,
    )
    output = handler(event, LambdaContext(request_id, remaining=remaining_ms))
    status = str(output.get("Status", "")).upper()
    if status == "SUCCEEDED":
        raw = output.get("Result")
        if not raw:  # a large result was checkpointed with the EXECUTION operation instead
            raw = client.execution_result
        return Invocation(
            "succeeded", json.loads(raw) if raw else None, ops=client.ops, updates=client.updates_applied
        )
    if status == "FAILED":
        error = output.get("Error") or {}
        full_type = str(error.get("ErrorType") or "Error")
        return Invocation(
            "failed",
            error_type=full_type.rsplit(".", 1)[-1],
            error_message=str(error.get("ErrorMessage") or full_type),
            ops=client.ops,
            updates=client.updates_applied,
        )
    return Invocation("pending", cut=client.cut, ops=client.ops, updates=client.updates_applied)


def open_operations(ops: Iterable[Operation], kind: OperationType) -> list[Operation]:
    return operations.open_of(ops, kind)

"""The service side of the AWS Durable Execution SDK, as pure state: how a batch of the SDK's operation
updates changes a run's operations, what time alone changes (a wait that ended, a retry that is due), and
what the operations say the run waits for.

No I/O here: engine/durable/log.py keeps the operations (DynamoDB on the stack, memory in the test kit),
engine/durable/service.py answers the SDK through its injected service client. The transitions follow
the service's documented protocol (docs/decisions.md, "Hosting the AWS Durable Execution SDK").
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackDetails,
    CallbackTimeoutType,
    ChainedInvokeDetails,
    ContextDetails,
    ErrorObject,
    ExecutionDetails,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StepDetails,
    WaitDetails,
)

ENDED = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.TIMED_OUT,
        OperationStatus.STOPPED,
    }
)


class InvalidUpdate(Exception):
    """An update the protocol does not allow (the SDK would never send it): the invocation fails."""


def utc_from_ms(ms: int | None) -> datetime.datetime | None:
    return None if ms is None else datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)


def ms_of(moment: datetime.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


# Stored form: short keys, every field explicit (an empty-string result stays an empty string, which the
# SDK's own to_dict/to_json_dict would drop).


def _error_out(error: ErrorObject | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"m": error.message, "t": error.type, "d": error.data, "s": error.stack_trace}


def _error_in(data: Mapping[str, Any] | None) -> ErrorObject | None:
    if data is None:
        return None
    return ErrorObject(message=data["m"], type=data["t"], data=data["d"], stack_trace=data["s"])


def encode(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"id": op.operation_id, "ty": op.operation_type.value, "st": op.status.value}
    if op.parent_id is not None:
        out["p"] = op.parent_id
    if op.name is not None:
        out["n"] = op.name
    if op.sub_type is not None:
        out["sub"] = op.sub_type
    if op.start_timestamp is not None:
        out["t0"] = ms_of(op.start_timestamp)
    if op.end_timestamp is not None:
        out["t1"] = ms_of(op.end_timestamp)
    if op.execution_details is not None:
        out["ex"] = {"in": op.execution_details.input_payload}
    if op.context_details is not None:
        c = op.context_details
        out["cx"] = {"r": c.result, "e": _error_out(c.error), "rc": c.replay_children}
    if op.step_details is not None:
        s = op.step_details
        out["sp"] = {
            "a": s.attempt,
            "at": ms_of(s.next_attempt_timestamp),
            "r": s.result,
            "e": _error_out(s.error),
        }
    if op.wait_details is not None:
        out["wt"] = {"end": ms_of(op.wait_details.scheduled_end_timestamp)}
    if op.callback_details is not None:
        cb = op.callback_details
        out["cb"] = {"id": cb.callback_id, "r": cb.result, "e": _error_out(cb.error)}
    if op.chained_invoke_details is not None:
        ci = op.chained_invoke_details
        out["ci"] = {"r": ci.result, "e": _error_out(ci.error)}
    return out


def decode(data: Mapping[str, Any]) -> Operation:
    ex, cx, sp, wt, cb, ci = (data.get(k) for k in ("ex", "cx", "sp", "wt", "cb", "ci"))
    return Operation(
        operation_id=data["id"],
        operation_type=OperationType(data["ty"]),
        status=OperationStatus(data["st"]),
        parent_id=data.get("p"),
        name=data.get("n"),
        sub_type=data.get("sub"),
        start_timestamp=utc_from_ms(data.get("t0")),
        end_timestamp=utc_from_ms(data.get("t1")),
        execution_details=None if ex is None else ExecutionDetails(input_payload=ex["in"]),
        context_details=None
        if cx is None
        else ContextDetails(replay_children=cx["rc"], result=cx["r"], error=_error_in(cx["e"])),
        step_details=None
        if sp is None
        else StepDetails(
            attempt=sp["a"],
            next_attempt_timestamp=utc_from_ms(sp["at"]),
            result=sp["r"],
            error=_error_in(sp["e"]),
        ),
        wait_details=None if wt is None else WaitDetails(scheduled_end_timestamp=utc_from_ms(wt["end"])),
        callback_details=None
        if cb is None
        else CallbackDetails(callback_id=cb["id"], result=cb["r"], error=_error_in(cb["e"])),
        chained_invoke_details=None
        if ci is None
        else ChainedInvokeDetails(result=ci["r"], error=_error_in(ci["e"])),
    )


def execution_operation(execution_id: str, input_payload: str, now: datetime.datetime) -> Operation:
    """The EXECUTION operation the SDK reads its input from: its id is the ARN's last segment."""
    return Operation(
        operation_id=execution_id,
        operation_type=OperationType.EXECUTION,
        status=OperationStatus.STARTED,
        start_timestamp=now,
        execution_details=ExecutionDetails(input_payload=input_payload),
    )


@dataclass(frozen=True)
class Applied:
    """What one update did: the operation after it, and the update (for events and side effects)."""

    update: OperationUpdate
    before: Operation | None
    after: Operation


def apply(
    operations: Mapping[str, Operation],
    update: OperationUpdate,
    now: datetime.datetime,
    callback_id: str,
) -> Applied:
    """The operation `update` leaves behind. `callback_id`: the id a CALLBACK start gets (the host's)."""
    current = operations.get(update.operation_id)
    kind, action = update.operation_type, update.action
    if current is not None and current.status in ENDED:
        raise InvalidUpdate(f"operation {update.operation_id} already ended ({current.status.value})")
    if current is not None and (current.operation_type, current.name) != (kind, update.name):
        # The SDK compares these on replay and raises NonDeterministicExecutionError first; reaching
        # here means an update contradicts what is stored, which must never be applied silently.
        raise InvalidUpdate(
            f"operation {update.operation_id} is {current.operation_type.value} {current.name!r}, "
            f"not {kind.value} {update.name!r}"
        )
    start = current.start_timestamp if current is not None and current.start_timestamp else now
    base = Operation(
        operation_id=update.operation_id,
        operation_type=kind,
        status=OperationStatus.STARTED,
        parent_id=update.parent_id,
        name=update.name,
        sub_type=update.sub_type,
        start_timestamp=start,
    )
    after: Operation
    if kind is OperationType.EXECUTION:
        status = {
            OperationAction.SUCCEED: OperationStatus.SUCCEEDED,
            OperationAction.FAIL: OperationStatus.FAILED,
        }
        if action not in status:
            raise InvalidUpdate(f"EXECUTION takes SUCCEED or FAIL, not {action.value}")
        previous = current or base
        after = replace(previous, status=status[action], end_timestamp=now)
    elif kind is OperationType.STEP:
        attempt = current.step_details.attempt if current is not None and current.step_details else 0
        if action is OperationAction.START:
            after = replace(base, step_details=StepDetails(attempt=attempt))
        elif action is OperationAction.RETRY:
            delay = update.step_options.next_attempt_delay_seconds if update.step_options else 0
            after = replace(
                base,
                status=OperationStatus.PENDING,
                step_details=StepDetails(
                    attempt=attempt + 1,
                    next_attempt_timestamp=now + datetime.timedelta(seconds=max(delay, 0)),
                    result=update.payload,
                    error=update.error,
                ),
            )
        elif action in (OperationAction.SUCCEED, OperationAction.FAIL):
            after = replace(
                base,
                status=OperationStatus.SUCCEEDED
                if action is OperationAction.SUCCEED
                else OperationStatus.FAILED,
                end_timestamp=now,
                step_details=StepDetails(attempt=attempt + 1, result=update.payload, error=update.error),
            )
        else:
            raise InvalidUpdate(f"STEP takes no {action.value}")
    elif kind is OperationType.WAIT:
        if action is OperationAction.START:
            seconds = update.wait_options.wait_seconds if update.wait_options else 0
            end = now + datetime.timedelta(seconds=seconds)
            after = replace(base, start_timestamp=now, wait_details=WaitDetails(scheduled_end_timestamp=end))
        elif action is OperationAction.CANCEL:
            after = replace(current or base, status=OperationStatus.CANCELLED, end_timestamp=now)
        else:
            raise InvalidUpdate(f"WAIT takes no {action.value}")
    elif kind is OperationType.CALLBACK:
        if action is not OperationAction.START:
            raise InvalidUpdate(f"CALLBACK takes no {action.value}: the host ends callbacks")
        after = replace(base, callback_details=CallbackDetails(callback_id=callback_id))
    elif kind is OperationType.CONTEXT:
        replay_children = bool(update.context_options and update.context_options.replay_children)
        if action is OperationAction.START:
            after = replace(base, context_details=ContextDetails(replay_children=replay_children))
        elif action in (OperationAction.SUCCEED, OperationAction.FAIL):
            after = replace(
                base,
                status=OperationStatus.SUCCEEDED
                if action is OperationAction.SUCCEED
                else OperationStatus.FAILED,
                end_timestamp=now,
                context_details=ContextDetails(
                    replay_children=replay_children, result=update.payload, error=update.error
                ),
            )
        else:
            raise InvalidUpdate(f"CONTEXT takes no {action.value}")
    elif kind is OperationType.CHAINED_INVOKE:
        if action is not OperationAction.START or update.chained_invoke_options is None:
            raise InvalidUpdate("CHAINED_INVOKE takes START with its options: the host ends invokes")
        after = replace(base, chained_invoke_details=ChainedInvokeDetails())
    else:  # pragma: no cover - the enum has no other member
        raise InvalidUpdate(f"unknown operation type {kind}")
    return Applied(update, current, after)


def advance(operations: Mapping[str, Operation], now: datetime.datetime) -> list[Operation]:
    """What time alone changed: waits whose end passed succeed, retries that are due get READY."""
    changed: list[Operation] = []
    for op in operations.values():
        if op.status is OperationStatus.STARTED and op.operation_type is OperationType.WAIT:
            end = op.wait_details.scheduled_end_timestamp if op.wait_details else None
            if end is not None and end <= now:
                changed.append(replace(op, status=OperationStatus.SUCCEEDED, end_timestamp=end))
        elif op.status is OperationStatus.PENDING and op.operation_type is OperationType.STEP:
            due = op.step_details.next_attempt_timestamp if op.step_details else None
            if due is None or due <= now:
                changed.append(replace(op, status=OperationStatus.READY))
    return changed


def complete_callback(
    op: Operation,
    now: datetime.datetime,
    *,
    result: str | None = None,
    error: ErrorObject | None = None,
    timed_out: bool = False,
    heartbeat: bool = False,
) -> Operation:
    """A callback ended by the host: answered, rejected (an error the handler sees) or timed out (its
    timeout, or with `heartbeat` its heartbeat timeout, passed)."""
    details = op.callback_details or CallbackDetails(callback_id=op.operation_id)
    if timed_out and error is None:
        # What the service records on a callback whose timeout passed (the SDK names the types).
        kind = CallbackTimeoutType.HEARTBEAT if heartbeat else CallbackTimeoutType.TIMEOUT
        message = "Callback timed out on heartbeat" if heartbeat else "Callback timed out"
        error = ErrorObject(message=message, type=kind.value, data=None, stack_trace=None)
    status = (
        OperationStatus.TIMED_OUT
        if timed_out
        else OperationStatus.FAILED
        if error is not None
        else OperationStatus.SUCCEEDED
    )
    return replace(
        op,
        status=status,
        end_timestamp=now,
        callback_details=CallbackDetails(callback_id=details.callback_id, result=result, error=error),
    )


def callback_deadline(update: OperationUpdate) -> tuple[int, bool]:
    """Seconds until a starting callback times out (0: never) and whether that is its heartbeat timeout.
    No heartbeat reaches the runtime yet, so a heartbeat timeout runs from the callback's start."""
    options = update.callback_options
    timeout = options.timeout_seconds if options else 0
    heartbeat = options.heartbeat_timeout_seconds if options else 0
    if heartbeat and (not timeout or heartbeat < timeout):
        return heartbeat, True
    return timeout, False


def complete_invoke(
    op: Operation,
    now: datetime.datetime,
    *,
    result: str | None = None,
    error: ErrorObject | None = None,
    status: OperationStatus | None = None,
) -> Operation:
    final = status or (OperationStatus.FAILED if error is not None else OperationStatus.SUCCEEDED)
    return replace(
        op,
        status=final,
        end_timestamp=now,
        chained_invoke_details=ChainedInvokeDetails(result=result, error=error),
    )


def may_change(op: Operation) -> bool:
    """Whether time (a wait's end, a retry's delay) or the outside world (an answer, a child's end) may
    still change `op` without the SDK asking."""
    if op.operation_type is OperationType.STEP:
        return op.status is OperationStatus.PENDING
    return op.status is OperationStatus.STARTED and op.operation_type in (
        OperationType.WAIT,
        OperationType.CALLBACK,
        OperationType.CHAINED_INVOKE,
    )


def next_timer(operations: Iterable[Operation]) -> datetime.datetime | None:
    """The earliest moment time alone would change something (a wait's end, a retry's time)."""
    moments: list[datetime.datetime] = []
    for op in operations:
        if (
            op.status is OperationStatus.STARTED
            and op.wait_details
            and op.wait_details.scheduled_end_timestamp
        ):
            moments.append(op.wait_details.scheduled_end_timestamp)
        elif (
            op.status is OperationStatus.PENDING
            and op.step_details
            and op.step_details.next_attempt_timestamp
        ):
            moments.append(op.step_details.next_attempt_timestamp)
    return min(moments, default=None)


def open_of(operations: Iterable[Operation], kind: OperationType) -> list[Operation]:
    return [op for op in operations if op.operation_type is kind and op.status is OperationStatus.STARTED]

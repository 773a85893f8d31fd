"""Differential: handlers we wrote (differential_handlers.py) run on the runtime's service side and on
the SDK's own local runner agree on status, result, error type and every operation (differential.py).
The SDK's own examples and conformance handlers are compared by bench/differential.py."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest
from aws_durable_execution_sdk_python.lambda_service import (
    CallbackTimeoutType,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StepDetails,
)

from agent_runtime.engine.durable import operations
from tests.engine.durable.differential import compare, positions
from tests.engine.durable.differential_handlers import CASES, callback_times_out, retries


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_runtime_and_the_sdk_runner_agree(case: Any) -> None:
    compared = compare(case)
    assert compared.sdk.operations, "the SDK runner ran no operation: nothing was compared"
    assert compared.differences == [], "\n".join(compared.differences)


def test_a_service_side_that_counts_attempts_wrongly_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = operations.apply

    def off_by_one(ops: Any, update: OperationUpdate, now: datetime.datetime, callback_id: str) -> Any:
        done = real(ops, update, now, callback_id)
        details = done.after.step_details
        if update.operation_type is OperationType.STEP and update.action is OperationAction.SUCCEED:
            assert details is not None
            after = dataclasses.replace(
                done.after, step_details=dataclasses.replace(details, attempt=details.attempt + 1)
            )
            return dataclasses.replace(done, after=after)
        return done

    monkeypatch.setattr(operations, "apply", off_by_one)
    [case] = [c for c in CASES if c.handler is retries]
    differences = compare(case).differences
    assert any("attempt 4 vs 3" in d for d in differences), differences


def test_a_timed_out_callback_carries_the_services_timeout_error() -> None:
    # Found by the differential: the runtime ended a timed-out callback with no error, where the
    # service (and the SDK's runner) record Callback.Timeout, which history and plugins read.
    op = Operation(
        operation_id="cb",
        operation_type=OperationType.CALLBACK,
        status=OperationStatus.STARTED,
        name="approval",
    )
    now = datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC)
    ended = operations.complete_callback(op, now, timed_out=True)
    assert ended.status is OperationStatus.TIMED_OUT
    assert ended.callback_details is not None and ended.callback_details.error is not None
    assert ended.callback_details.error.type == CallbackTimeoutType.TIMEOUT.value
    assert ended.callback_details.error.message == "Callback timed out"
    [case] = [c for c in CASES if c.handler is callback_times_out]
    assert compare(case).differences == []


def test_positions_follow_the_code_not_the_order_branches_ran_in() -> None:
    from aws_durable_execution_sdk_python.identifier import OperationIdNamespace

    def op(op_id: str, parent: str | None, kind: OperationType = OperationType.STEP) -> Operation:
        return Operation(
            operation_id=op_id,
            operation_type=kind,
            status=OperationStatus.SUCCEEDED,
            parent_id=parent,
            step_details=StepDetails() if kind is OperationType.STEP else None,
        )

    root = OperationIdNamespace(None)
    first, mapped = root.create_id_for_step(1), root.create_id_for_step(2)
    branch = OperationIdNamespace(mapped).create_id_for_step(0)  # map branches count from 0
    flat = OperationIdNamespace(mapped).create_id_for_step(1)  # a flat (virtual) branch: never stored
    in_branch = OperationIdNamespace(branch).create_id_for_step(1)
    in_flat = OperationIdNamespace(flat).create_id_for_step(1)
    stored = [
        op(in_flat, mapped),
        op(in_branch, branch),
        op(branch, mapped, OperationType.CONTEXT),
        op(mapped, None, OperationType.CONTEXT),
        op(first, None),
    ]
    assert positions(stored) == {
        first: "1",
        mapped: "2",
        branch: "2.0",
        in_branch: "2.0.1",
        in_flat: "2.1.1",
    }

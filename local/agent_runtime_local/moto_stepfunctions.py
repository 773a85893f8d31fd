"""moto's Step Functions, made cheaper without changing what it answers (the interpreter's own
speed-ups, from before these groups existed, are in moto_patches.py).

A state machine keeps its executions in one list for the life of the process, and moto finds an
execution by walking it: StartExecution walks it for an execution of the same name (names are
idempotent), DescribeExecution and StopExecution for the execution's ARN. Every run starts an
execution, so each start cost more the more the session had run before it: 2.9 ms of CPU with 20
executions held, 6.8 ms with 5,000 (bench/sfn_starts.py). Here each state machine's executions are
indexed by name and by ARN as they are appended (moto only appends to the list), and the lookups read
the index; what each call then does with the execution it found, or raises without one, is moto's.
Registered as the group "execution index" (moto_replacements.py):
tests/local/test_moto_stepfunctions_speedups.py compares it with moto's own.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from agent_runtime_local.moto_replacements import expect_signature, install_once, replace


def install() -> None:
    install_once(__name__, [_index_executions_by_name_and_arn])


@dataclass
class _Index:
    """What was indexed of one state machine's `executions` list: the list itself (a state machine
    given a new list is indexed afresh), how many of its entries, and the first execution of each name
    and ARN among them (moto takes the first match)."""

    executions: list[Any]
    indexed: int = 0
    by_name: dict[str, Any] = field(default_factory=dict)
    by_arn: dict[str, Any] = field(default_factory=dict)


def _index_executions_by_name_and_arn() -> None:
    from moto.stepfunctions.models import StateMachine, StepFunctionBackend

    # Kept beside the state machine, not on it: moto deep-copies a state machine for each execution
    # (its snapshot of the definition), and the index holds live executions, which don't copy.
    indexes: weakref.WeakKeyDictionary[Any, _Index] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def index_of(state_machine: Any) -> _Index:
        executions = state_machine.executions
        with lock:
            index = indexes.get(state_machine)
            if index is None or index.executions is not executions or len(executions) < index.indexed:
                index = indexes[state_machine] = _Index(executions)
            for execution in executions[index.indexed :]:
                index.by_name.setdefault(execution.name, execution)
                index.by_arn.setdefault(execution.execution_arn, execution)
            index.indexed = len(executions)
            return index

    idempotency = vars(StateMachine)["_handle_name_input_idempotency"]
    expect_signature(idempotency, ["self", "name", "execution_input"])

    def _handle_name_input_idempotency(self: Any, name: str, execution_input: str) -> Any:
        found = index_of(self).by_name.get(name)
        # moto's own check, over the one execution of that name (or none)
        return idempotency(
            SimpleNamespace(executions=[] if found is None else [found]), name, execution_input
        )

    stop = vars(StateMachine)["stop_execution"]
    expect_signature(stop, ["self", "execution_arn"])

    def stop_execution(self: Any, execution_arn: str) -> Any:
        found = index_of(self).by_arn.get(execution_arn)
        return stop(SimpleNamespace(executions=[] if found is None else [found]), execution_arn)

    describe = vars(StepFunctionBackend)["describe_execution"]
    expect_signature(describe, ["self", "execution_arn"])

    def describe_execution(self: Any, execution_arn: str) -> Any:
        self._validate_execution_arn(execution_arn)
        state_machine = self._get_state_machine_for_execution(execution_arn)
        found = index_of(state_machine).by_arn.get(execution_arn)
        if found is None:
            return describe(self, execution_arn)  # moto's own error
        return found

    replace("execution index", StateMachine, "_handle_name_input_idempotency", _handle_name_input_idempotency)
    replace("execution index", StateMachine, "stop_execution", stop_execution)
    replace("execution index", StepFunctionBackend, "describe_execution", describe_execution)

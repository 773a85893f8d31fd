"""moto_stepfunctions' execution index changes what finding an execution costs, never what moto answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.stepfunctions.responses import get_backend

from agent_runtime_local import moto_stepfunctions
from agent_runtime_local.cloud import ACCOUNT, REGION, Resources
from agent_runtime_local.moto_replacements import PATCHES, moto_s_own
from tests.conftest import eventually, new_state_machine

# An execution that waits (so it is RUNNING while the test looks), and one that ends at once.
WAITS = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 60, "End": True}}}


def _answer(call: Callable[[], Any]) -> Any:
    """What the caller sees: the answer's fields that don't vary by time, or the error's code and message."""
    try:
        answer = call()
    except ClientError as error:
        return ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])
    return {k: v for k, v in answer.items() if k in ("executionArn", "status", "name", "input")}


def _calls(sfn: Any, arn: str, running: str, other: str) -> list[Callable[[], Any]]:
    unknown = f"{arn.replace(':stateMachine:', ':execution:')}:never-started"
    return [
        # the same name and input while it runs: the running execution (idempotent)
        lambda: sfn.start_execution(stateMachineArn=arn, name="held", input='{"n": 1}'),
        # the same name with another input: ExecutionAlreadyExists
        lambda: sfn.start_execution(stateMachineArn=arn, name="held", input='{"n": 2}'),
        lambda: sfn.describe_execution(executionArn=running),
        lambda: sfn.describe_execution(executionArn=other),
        lambda: sfn.describe_execution(executionArn=unknown),
        lambda: sfn.stop_execution(executionArn=unknown),
    ]


def test_executions_are_found_as_moto_s_own_lookups_find_them(cloud: Resources) -> None:
    # Given a state machine with a running execution among others
    sfn, arn = new_state_machine("index", WAITS)
    for n in range(5):
        sfn.start_execution(stateMachineArn=arn, name=f"before-{n}", input="{}")
    running = sfn.start_execution(stateMachineArn=arn, name="held", input='{"n": 1}')["executionArn"]
    other = sfn.start_execution(stateMachineArn=arn, name="after", input="{}")["executionArn"]
    try:
        # When each lookup is made through the index and through moto's own code
        indexed = [_answer(call) for call in _calls(sfn, arn, running, other)]
        with moto_s_own("execution index"):
            own = [_answer(call) for call in _calls(sfn, arn, running, other)]
        # Then the caller sees the same: the running execution again, the same errors
        assert indexed == own
        assert indexed[0]["executionArn"] == running
        assert indexed[1][:2] == ("error", "ExecutionAlreadyExists")
        assert indexed[4][:2] == indexed[5][:2] == ("error", "ExecutionDoesNotExist")
        # And stopping it through the index stops that execution
        sfn.stop_execution(executionArn=running)
        eventually(lambda: sfn.describe_execution(executionArn=running)["status"] == "ABORTED")
        # And its name stays taken once it has ended, as in moto
        with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
            sfn.start_execution(stateMachineArn=arn, name="held", input='{"n": 1}')
    finally:
        for execution in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"])


class _CountedReads(list[Any]):
    """A state machine's executions list that counts the entries read from it."""

    reads = 0

    def __iter__(self) -> Any:
        for execution in super().__iter__():
            _CountedReads.reads += 1
            yield execution

    def __getitem__(self, key: Any) -> Any:
        got = super().__getitem__(key)
        _CountedReads.reads += len(got) if isinstance(key, slice) else 1
        return got


def test_a_start_reads_only_the_executions_appended_since_the_last(cloud: Resources) -> None:
    # Given a state machine whose executions list counts what is read of it, with 40 executions
    assert PATCHES["execution index"], "the group is installed"
    sfn, arn = new_state_machine("index", WAITS)
    machine = get_backend(ACCOUNT, REGION).describe_state_machine(arn)
    machine.executions = _CountedReads(machine.executions)
    names = [f"e-{n}" for n in range(40)]
    try:
        for name in names:
            sfn.start_execution(stateMachineArn=arn, name=name, input="{}")
        # When one more starts and one is described
        _CountedReads.reads = 0
        last = sfn.start_execution(stateMachineArn=arn, name="one-more", input="{}")["executionArn"]
        sfn.describe_execution(executionArn=last)
        # Then only the newest entry was read (moto's own walk reads all 41 for each)
        assert _CountedReads.reads <= 2
        with moto_s_own("execution index"):
            _CountedReads.reads = 0
            sfn.describe_execution(executionArn=last)
        assert _CountedReads.reads == 41
        # And a list given a new list is indexed afresh
        machine.executions = list(machine.executions)
        assert sfn.describe_execution(executionArn=last)["name"] == "one-more"
    finally:
        for execution in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"])


def test_install_is_idempotent(cloud: Resources) -> None:
    replaced = list(PATCHES["execution index"])
    moto_stepfunctions.install()
    assert PATCHES["execution index"] == replaced

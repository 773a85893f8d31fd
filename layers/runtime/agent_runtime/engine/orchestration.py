"""Step Functions: start and stop the `run` state machine's executions, see which are alive, and end
the waits of runs parked on a checkpoint. A run's first execution is named by its run id; one the
reconciler re-drives is `<run_id>.r<n>` (engine/reconcile.py), and the run item names its current one
(`RunRecord.execution`)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from agent_runtime.store.dynamo import client_error, error_code

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

    from agent_runtime.config import Settings
    from agent_runtime.store.run_items import RunRecord
    from agent_runtime.workflows.sdk import Workflow

log = logging.getLogger(__name__)

# The task is gone (timed out, or the execution ended): the table already holds the truth.
_STALE_TOKEN_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
REDRIVE_MARK = ".r"


def execution_name(record: RunRecord) -> str:
    """The name of the run's current execution."""
    return record.execution or record.run_id


def redrive_name(run_id: str, redrive: int) -> str:
    return f"{run_id}{REDRIVE_MARK}{redrive}"


# Step Functions ends an Express execution at 5 minutes.
EXPRESS_LIMIT_SECONDS = 300


def runs_on_express(workflow: Workflow) -> bool:
    """The rule (docs/decisions.md 61): a run's first execution goes on the express machine when its
    workflow can't wait for a human (it declares no checkpoint: Express has no task tokens) and declares
    a bound on its whole duration within Express's 5 minutes. The reconciler can't see Express
    executions (no ListExecutions or DescribeExecution for them): it takes such a run for lost once it
    hasn't moved for its bound (Reconciler.grace_for), which, within the bound, its execution is. A run
    that outlives its bound all the same is ended by Express at 5 minutes and handed over: the
    reconciler re-drives it, on the standard machine, from its last committed step."""
    bound = workflow.max_duration_seconds
    if workflow.handler is not None:  # durable code may wait, suspend and be woken: Standard only
        return False
    return not workflow.checkpoints and bound is not None and bound <= EXPRESS_LIMIT_SECONDS


def starts_on_express(workflow: Workflow, express_state_machine_arn: str) -> bool:
    """The one place the Express decision is made: a run's first execution goes on the express machine
    when the deployment has one and the workflow may run there (runs_on_express). Runs starts it so
    and counts it in the run's usage; the reconciler allows it its bound before taking it for lost."""
    return bool(express_state_machine_arn) and runs_on_express(workflow)


def run_of(name: str) -> str:
    """The run id an execution name belongs to (run ids are UUIDs: they hold no `.`)."""
    return name.split(REDRIVE_MARK, 1)[0]


class Orchestrator:
    def __init__(
        self, client: SFNClient, state_machine_arn: str, express_state_machine_arn: str = ""
    ) -> None:
        self.client = client
        self.state_machine_arn = state_machine_arn
        # The same definition as EXPRESS, human states left out (functions/manifest.py); "" if none.
        self.express_state_machine_arn = express_state_machine_arn

    @classmethod
    def default(cls, config: Settings) -> Orchestrator:
        from agent_runtime import aws

        return cls(aws.stepfunctions(), config.state_machine_arn, config.express_state_machine_arn)

    def execution_arn(self, name: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def start(self, run_id: str, tenant_id: str, name: str | None = None, *, express: bool = False) -> None:
        """Start the run's execution (`name`: its current one's, by default the run id). Idempotent: an
        execution that already exists is left alone. With `express` (starts_on_express decided it) its
        first execution goes on the express machine; a re-drive always on the standard one."""
        first = (name or run_id) == run_id
        machine = self.express_state_machine_arn if express and first else self.state_machine_arn
        try:
            self.client.start_execution(
                stateMachineArn=machine,
                name=name or run_id,
                input=json.dumps({"run_id": run_id, "tenant_id": tenant_id}),
            )
        except client_error() as error:
            if error_code(error) != "ExecutionAlreadyExists":
                raise

    def stop(self, name: str, cause: str) -> None:
        """Best effort: the run's own item already says it stopped, which is what every reader trusts.
        `name`: the run's current execution (`execution_name`)."""
        try:
            self.client.stop_execution(executionArn=self.execution_arn(name), cause=cause[:256])
        except client_error() as error:
            log.info("stop_execution of %s did not apply: %s", name, error_code(error))

    def status(self, name: str) -> str | None:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; None if there is no such execution, or
        none that can be seen: AWS describes no Express execution (moto does), so in the cloud a run's
        express execution is None, which the rule's bound makes true once the reconciler asks."""
        try:
            status: str = self.client.describe_execution(executionArn=self.execution_arn(name))["status"]
            return status
        except client_error() as error:
            if error_code(error) != "ExecutionDoesNotExist":
                raise
        if not self.express_state_machine_arn or name != run_of(name):
            return None  # re-drives are never express
        express = self.express_state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        try:
            status = self.client.describe_execution(executionArn=express)["status"]
            return status
        except client_error():
            return None

    def running(self) -> set[str]:
        """The names of the state machine's running executions (parked ones included). Eventually
        consistent: one that just started may be missing, one that just ended may still be listed."""
        names: set[str] = set()
        pages = self.client.get_paginator("list_executions").paginate(
            stateMachineArn=self.state_machine_arn, statusFilter="RUNNING"
        )
        for page in pages:
            names.update(execution["name"] for execution in page["executions"])
        return names

    def resume(self, task_token: str) -> None:
        """Let a run parked on a checkpoint go on. The decision is in DynamoDB; the output carries none."""
        try:
            self.client.send_task_success(taskToken=task_token, output="{}")
        except client_error() as error:
            if error_code(error) not in _STALE_TOKEN_ERRORS:
                raise

    def abort(self, task_token: str, error: str, cause: str) -> None:
        """End a parked wait with a failure (the run was cancelled)."""
        try:
            self.client.send_task_failure(taskToken=task_token, error=error, cause=cause[:256])
        except client_error() as failure:
            if error_code(failure) not in _STALE_TOKEN_ERRORS:
                raise

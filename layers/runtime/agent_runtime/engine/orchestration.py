"""Step Functions: start and stop the `run` state machine's executions, and end the waits of runs
parked on a checkpoint. The execution name is the run id."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from agent_runtime.store.dynamo import client_error, error_code

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

log = logging.getLogger(__name__)

# The task is gone (timed out, or the execution ended): the table already holds the truth.
_STALE_TOKEN_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


class Orchestrator:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self.client = client
        self.state_machine_arn = state_machine_arn

    @classmethod
    def default(cls) -> Orchestrator:
        from agent_runtime import aws
        from agent_runtime.config import settings

        return cls(aws.stepfunctions(), settings().state_machine_arn)

    def execution_arn(self, run_id: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{run_id}"

    def start(self, run_id: str, tenant_id: str) -> None:
        """Start the run's execution. Idempotent: an execution that already exists is left alone."""
        try:
            self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=run_id,
                input=json.dumps({"run_id": run_id, "tenant_id": tenant_id}),
            )
        except client_error() as error:
            if error_code(error) != "ExecutionAlreadyExists":
                raise

    def stop(self, run_id: str, cause: str) -> None:
        """Best effort: the run's own item already says it stopped, which is what every reader trusts."""
        try:
            self.client.stop_execution(executionArn=self.execution_arn(run_id), cause=cause[:256])
        except client_error() as error:
            log.info("stop_execution for run %s did not apply: %s", run_id, error_code(error))

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

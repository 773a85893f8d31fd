"""Step Functions: start and stop the `run` state machine's executions. Execution name = run id."""

from __future__ import annotations

import json
import logging

from botocore.exceptions import ClientError

from agent_runtime import aws
from agent_runtime.config import settings

log = logging.getLogger(__name__)


def execution_arn(run_id: str) -> str:
    return settings().state_machine_arn.replace(":stateMachine:", ":execution:") + f":{run_id}"


def start_run(run_id: str, tenant_id: str) -> None:
    """Start the run's execution. Idempotent: an execution that already exists is left alone."""
    try:
        aws.stepfunctions().start_execution(
            stateMachineArn=settings().state_machine_arn,
            name=run_id,
            input=json.dumps({"run_id": run_id, "tenant_id": tenant_id}),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
            raise


def stop_run(run_id: str, cause: str) -> None:
    """Best effort: the run's own item already says it stopped, which is what every reader trusts."""
    try:
        aws.stepfunctions().stop_execution(executionArn=execution_arn(run_id), cause=cause[:256])
    except ClientError as error:
        log.info("stop_execution for run %s did not apply: %s", run_id, error.response.get("Error", {}))


# The task is gone (timed out, or the execution ended): the caller's own table already holds the truth.
_STALE_TOKEN_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


def resume(task_token: str) -> None:
    """Let a run parked on a checkpoint go on. The decision is in DynamoDB; the output carries none."""
    try:
        aws.stepfunctions().send_task_success(taskToken=task_token, output="{}")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in _STALE_TOKEN_ERRORS:
            raise


def abort(task_token: str, error: str, cause: str) -> None:
    """End a parked wait with a failure (the run was cancelled)."""
    try:
        aws.stepfunctions().send_task_failure(taskToken=task_token, error=error, cause=cause[:256])
    except ClientError as failure:
        if failure.response.get("Error", {}).get("Code") not in _STALE_TOKEN_ERRORS:
            raise

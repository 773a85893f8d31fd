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

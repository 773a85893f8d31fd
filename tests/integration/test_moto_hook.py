"""The local stack routes Lambda invocations through a private moto hook. If moto changes it, fail here,
loudly, rather than with confusing errors everywhere else."""

from __future__ import annotations

import inspect
import json

import boto3
import moto
from moto.awslambda.models import LambdaFunction

from agent_runtime.local import lambda_bridge
from agent_runtime.local.cloud import REGION, Resources


def test_moto_is_the_pinned_minor_version() -> None:
    assert moto.__version__.startswith("5.2."), "the Lambda hook is verified against moto 5.2.x only"


def test_hook_is_installed_with_the_expected_signature(cloud: Resources) -> None:
    hook = getattr(LambdaFunction, lambda_bridge.HOOK_NAME)
    assert list(inspect.signature(hook).parameters) == ["self", "event"]
    assert hook.__module__ == lambda_bridge.__name__


def test_lambda_invoke_reaches_our_handler_in_process(cloud: Resources) -> None:
    # Given a run id that does not exist
    client = boto3.client("lambda", region_name=REGION)
    # When the step worker is invoked through the Lambda API
    response = client.invoke(
        FunctionName="step_worker",
        Payload=json.dumps({"action": "execute", "run_id": "no-such-run", "tenant_id": "x"}).encode(),
    )
    # Then our handler ran and its exception came back the way Lambda reports function errors
    assert response.get("FunctionError") == "Handled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "NotFound"
    assert "no-such-run" in error["errorMessage"]

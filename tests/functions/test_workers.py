"""Workers driven by the sample events in events/: the state machine's RecordFailure task and the API
Gateway authorizer, invoked the way their event sources invoke them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from agent_runtime.engine import Engine
from agent_runtime_local.cloud import REGION, Resources
from agent_runtime_local.lambda_bridge import LocalLambdaContext, resolve_handler
from functions import manifest
from tests.conftest import Api

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample(name: str, **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    event.update(changes)
    return event


def invoke_step_worker(event: dict[str, Any]) -> dict[str, Any]:
    """Through moto's Lambda API, as the state machine's task does."""
    response = boto3.client("lambda", region_name=REGION).invoke(
        FunctionName="step_worker", Payload=json.dumps(event).encode()
    )
    result: dict[str, Any] = json.loads(response["Payload"].read())
    return result


def test_a_crashed_worker_fails_the_run_and_closes_its_pending_checkpoint(api: Api, cloud: Resources) -> None:
    # Given a run waiting for a human
    run_id = api.create("approval", {"title": "T", "points": ["p"], "reviewer": "ana"}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    # When the state machine's catch-all reports its worker timed out (the sample RecordFailure event)
    event = sample("sfn-step-worker-record-failure.json", run_id=run_id, tenant_id=api.tenant)
    assert invoke_step_worker(event)["outcome"] == "done"
    # Then the run failed with the Lambda's own message, and no checkpoint is left pending
    run = api("GET", f"/v1/runs/{run_id}").json()
    assert run["status"] == "failed"
    assert run["error"] == {"type": "States.Timeout", "message": "Task timed out after 900.00 seconds"}
    assert api("GET", f"/v1/runs/{run_id}/checkpoints/review-1").json()["status"] == "cancelled"
    types = [e["type"] for e in api.events(run_id)]
    assert types[-2:] == ["checkpoint.cancelled", "run.failed"]
    # And a second report (a retried task) changes nothing
    boto3.client("lambda", region_name=REGION).invoke(
        FunctionName="step_worker", Payload=json.dumps(event).encode()
    )
    assert [e["type"] for e in api.events(run_id)] == types


def test_the_authorizer_maps_a_key_to_its_tenant_and_refuses_others(cloud: Resources, tenant: str) -> None:
    authorizer = resolve_handler(manifest.by_name(manifest.AUTHORIZER))
    context = LocalLambdaContext(manifest.by_name(manifest.AUTHORIZER))
    key = Engine.default().api_keys.create(tenant)
    event = sample("apigw-authorizer-request.json")
    event["headers"]["Authorization"] = f"Bearer {key}"
    allowed = authorizer(event, context)
    assert allowed["context"]["tenant_id"] == tenant
    (statement,) = allowed["policyDocument"]["Statement"]
    assert (statement["Effect"], statement["Resource"]) == (
        "Allow",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*",
    )
    # x-api-key (ACP clients' header) works the same; an unknown key is API Gateway's 401
    by_x_api_key = authorizer(sample("apigw-authorizer-request.json", headers={"x-api-key": key}), context)
    assert by_x_api_key["context"]["tenant_id"] == tenant
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(sample("apigw-authorizer-request.json", headers={"x-api-key": "ar_unknown"}), context)


def test_the_authorizer_refuses_two_different_keys_so_its_cached_answer_is_for_the_key_it_checked(
    cloud: Resources, tenant: str
) -> None:
    """API Gateway caches the answer under one header's value (infra/api.py identity_header): a request
    with a valid Bearer key and another x-api-key must not cache the first key's tenant under the second."""
    authorizer = resolve_handler(manifest.by_name(manifest.AUTHORIZER))
    context = LocalLambdaContext(manifest.by_name(manifest.AUTHORIZER))
    key = Engine.default().api_keys.create(tenant)
    both = {"Authorization": f"Bearer {key}", "x-api-key": "ar_someone-elses"}
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(sample("apigw-authorizer-request.json", headers=both), context)
    same = {"Authorization": f"Bearer {key}", "x-api-key": key}
    assert (
        authorizer(sample("apigw-authorizer-request.json", headers=same), context)["context"]["tenant_id"]
        == tenant
    )

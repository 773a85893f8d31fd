"""Runs that can't wait for a human go on the express state machine (the same definition, human states
left out: functions/manifest.py), runs that can on the standard one, in moto as in the cloud."""

from __future__ import annotations

import dataclasses
import json

import boto3
import pytest

from agent_runtime.engine.orchestration import runs_on_express
from agent_runtime.workflows.registry import registry
from agent_runtime_local.cloud import REGION, Resources
from functions import manifest
from tests.conftest import Api
from tests.doors.v1.test_checkpoints import start_approval


def _executions(machine_arn: str) -> set[str]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return {e["name"] for e in sfn.list_executions(stateMachineArn=machine_arn)["executions"]}


def test_the_local_stack_has_an_express_machine_without_human_states(cloud: Resources) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    express = sfn.describe_state_machine(stateMachineArn=cloud.express_state_machine_arn)
    assert express["type"] == "EXPRESS"
    states = json.loads(express["definition"])["States"]
    assert not any(str(s.get("Resource", "")).endswith(".waitForTaskToken") for s in states.values())
    assert states["AwaitHuman"]["Type"] == "Fail"
    assert "ExpireCheckpoint" not in states  # only AwaitHuman led there
    standard = json.loads(manifest.state_machine_definition())["States"]
    for name in ("Execute", "Route", "RecordFailure", "Done"):  # the rest is the same file's
        assert {k: v for k, v in states[name].items() if k != "Parameters"} == {
            k: v for k, v in standard[name].items() if k != "Parameters"
        }


def test_an_echo_run_goes_on_the_express_machine_and_an_approval_run_on_the_standard_one(
    api: Api, cloud: Resources
) -> None:
    echo = api.create("echo", {"hello": "express"}, version="0.1.0").json()
    assert api.wait(echo["run_id"])["status"] == "succeeded"
    assert echo["run_id"] in _executions(cloud.express_state_machine_arn)
    assert echo["run_id"] not in _executions(cloud.state_machine_arn)

    approval = start_approval(api)
    assert approval in _executions(cloud.state_machine_arn)
    assert approval not in _executions(cloud.express_state_machine_arn)


@pytest.mark.parametrize(
    ("name", "express"),
    [
        ("echo", True),  # no checkpoint, declares 60 s
        ("approval", False),  # waits for a human: Express has no task tokens
        ("echo_agent", False),  # declares no bound: it might outlive Express's 5 minutes
    ],
)
def test_the_rule(cloud: Resources, name: str, express: bool) -> None:
    assert runs_on_express(registry().get(name)) is express


def test_a_first_express_execution_counts_as_lost_only_after_its_workflows_bound(
    cloud: Resources,
) -> None:
    """AWS can't describe an Express execution: the reconciler waits out the workflow's bound (echo:
    60 s) on a run's first execution, and its own grace on a Standard one or a re-drive."""
    from agent_runtime.engine import Engine
    from agent_runtime.store.run_items import RunRecord

    reconciler = Engine.default().new_reconciler(grace_seconds=5)
    echo = RunRecord(
        run_id="r1",
        tenant_id="t",
        status="running",
        workflow_name="echo",
        workflow_version=registry().get("echo").version,
        schema_hash="",
        input="{}",
        config="{}",
        metadata="{}",
        callback_url=None,
        created_at="",
        updated_at="",
    )
    assert reconciler.grace_for(echo) == 60
    assert reconciler.grace_for(dataclasses.replace(echo, execution="r1.r1")) == 5
    approval = registry().get("approval")
    standard = dataclasses.replace(echo, workflow_name="approval", workflow_version=approval.version)
    assert reconciler.grace_for(standard) == 5

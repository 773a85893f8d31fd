"""Runs that can't wait for a human go on the express state machine (the same definition, human states
left out: functions/manifest.py), runs that can on the standard one, in moto as in the cloud."""

from __future__ import annotations

import json

import boto3
import pytest

from agent_runtime.engine.orchestration import runs_on_express
from agent_runtime.workflows.registry import registry
from agent_runtime_local.cloud import REGION, Resources
from functions import manifest
from tests.conftest import Api
from tests.integration.test_checkpoints import start_approval


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
    ("name", "grace", "express"),
    [
        ("echo", 120.0, True),  # no checkpoint, declares 60 s
        ("echo", 30.0, False),  # its bound is beyond the reconciler's grace: it could be taken for lost
        ("approval", 120.0, False),  # waits for a human: Express has no task tokens
    ],
)
def test_the_rule(cloud: Resources, name: str, grace: float, express: bool) -> None:
    assert runs_on_express(registry().get(name), grace) is express

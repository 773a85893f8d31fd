"""The state machine in the template is the one the local stack runs in moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent_runtime_local.cloud import function_arn, local_substitutions, render_definition
from functions import manifest

from .conftest import Synth

pytestmark = pytest.mark.infra


def _definition_text(synth: Synth, props: dict[str, Any]) -> str:
    # DefinitionBody.fromString(manifest.state_machine_definition()): inline, variables unfilled.
    return str(props["DefinitionString"])


def test_template_definition_with_local_names_equals_the_local_definition(synth: Synth) -> None:
    _, machine = synth.state_machine()
    props = machine["Properties"]
    handlers = {k: r["Properties"]["Handler"] for k, r in synth.resources("AWS::Lambda::Function").items()}
    names = {spec.handler: spec.name for spec in manifest.FUNCTIONS}
    substitutions = {}
    for variable, value in props["DefinitionSubstitutions"].items():
        logical_id, attribute = value["Fn::GetAtt"]
        assert attribute == "Arn"
        function = names[handlers[logical_id]]
        assert function == manifest.STATE_MACHINE_FUNCTIONS[variable]
        substitutions[variable] = function_arn(function)
    assert substitutions == local_substitutions()

    text = _definition_text(synth, props)
    for variable, value in substitutions.items():
        text = text.replace("${" + variable + "}", value)
    assert "${" not in text, "a substitution variable the template does not fill"
    assert json.loads(text) == json.loads(render_definition(local_substitutions()))


def test_definition_uses_jsonpath_so_moto_can_run_it(synth: Synth) -> None:
    _, machine = synth.state_machine()
    definition = json.loads(_definition_text(synth, machine["Properties"]))
    assert definition.get("QueryLanguage", "JSONPath") == "JSONPath"


def test_the_template_state_machine_runs_echo_and_approval_in_moto(
    synth: Synth, cloud: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the template's definition with its substitutions resolved to the local stack's functions,
    when it is created in moto and runs are started on it, then echo and approval runs complete."""
    import boto3

    from agent_runtime.config import settings
    from agent_runtime_local.cloud import REGION

    _, machine = synth.state_machine()
    text = _definition_text(synth, machine["Properties"])
    for variable, value in local_substitutions().items():
        text = text.replace("${" + variable + "}", value)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = "arn:aws:iam::123456789012:role/agent-runtime-local"  # moto does not assume it
    arn = sfn.create_state_machine(name="from-template", definition=text, roleArn=role)["stateMachineArn"]
    _, express_machine = synth.state_machine("EXPRESS")
    express_text = _definition_text(synth, express_machine["Properties"])
    for variable, value in local_substitutions().items():
        express_text = express_text.replace("${" + variable + "}", value)
    express = sfn.create_state_machine(
        name="from-template-express", definition=express_text, roleArn=role, type="EXPRESS"
    )["stateMachineArn"]
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)
    monkeypatch.setenv("EXPRESS_STATE_MACHINE_ARN", express)
    settings.cache_clear()
    try:
        echo = api.create("echo", {"from": "template"}).json()["run_id"]
        assert api.wait(echo)["output"] == {"from": "template"}
        approval = api.create("approval", {"title": "T", "points": ["p"]}).json()["run_id"]
        api.wait(approval, {"waiting_for_input"})
        assert api("POST", f"/v1/runs/{approval}/checkpoints/review-1/approve", body={}).status == 200
        assert api.wait(approval)["status"] == "succeeded"
        # echo can't wait for a human: the express machine (engine/orchestration.py runs_on_express)
        executions = sfn.list_executions(stateMachineArn=arn)["executions"]
        assert {e["name"] for e in executions} == {approval}
        executions = sfn.list_executions(stateMachineArn=express)["executions"]
        assert {e["name"] for e in executions} == {echo}
    finally:
        monkeypatch.undo()
        settings.cache_clear()


def test_the_express_machine_is_the_same_definition_without_its_human_states(synth: Synth) -> None:
    """EXPRESS (no task tokens, 5 minutes at most) for runs that can't wait for a human: the definition
    is manifest.express_state_machine_definition() of the same file, logged without execution data."""
    _, machine = synth.state_machine("EXPRESS")
    props = machine["Properties"]
    assert props["StateMachineName"].endswith("-run-express")
    text = _definition_text(synth, props)
    assert ".waitForTaskToken" not in text
    assert json.loads(text) == json.loads(manifest.express_state_machine_definition())
    assert set(props["DefinitionSubstitutions"]) == {"StepWorkerFunctionArn"}  # no checkpoint worker
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    # The functions may start runs on either machine; its ARN is in their environment.
    functions = synth.resources("AWS::Lambda::Function").values()
    assert all(
        props["StateMachineName"]
        in json.dumps(f["Properties"]["Environment"]["Variables"]["EXPRESS_STATE_MACHINE_ARN"])
        for f in functions
        if "Environment" in f["Properties"]
        and "STATE_MACHINE_ARN" in f["Properties"]["Environment"]["Variables"]
    )

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
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
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
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
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

    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    text = _definition_text(synth, machine["Properties"])
    for variable, value in local_substitutions().items():
        text = text.replace("${" + variable + "}", value)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = "arn:aws:iam::123456789012:role/agent-runtime-local"  # moto does not assume it
    arn = sfn.create_state_machine(name="from-template", definition=text, roleArn=role)["stateMachineArn"]
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)
    settings.cache_clear()
    try:
        echo = api.create("echo", {"from": "template"}).json()["run_id"]
        assert api.wait(echo)["output"] == {"from": "template"}
        approval = api.create("approval", {"title": "T", "points": ["p"]}).json()["run_id"]
        api.wait(approval, {"waiting_for_input"})
        assert api("POST", f"/v1/runs/{approval}/checkpoints/review-1/approve", body={}).status == 200
        assert api.wait(approval)["status"] == "succeeded"
        executions = sfn.list_executions(stateMachineArn=arn)["executions"]
        assert {e["name"] for e in executions} == {echo, approval}
    finally:
        monkeypatch.undo()
        settings.cache_clear()

"""The state machine in the template is the one the local stack runs in moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent_runtime.local.cloud import function_arn, local_substitutions, render_definition
from functions import manifest

from .conftest import Synth

pytestmark = pytest.mark.infra


def _definition_text(synth: Synth, props: dict[str, Any]) -> str:
    if "DefinitionString" in props:
        return str(props["DefinitionString"])
    # DefinitionBody.fromFile: the file is an asset, staged in the cloud assembly under its hash.
    key = props["DefinitionS3Location"]["Key"]
    return (synth.assembly_dir / f"asset.{key}").read_text()


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

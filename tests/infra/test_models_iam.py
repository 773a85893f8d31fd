"""Bedrock model calls: only the step worker may call models, only the configured ones, with exactly
InvokeModel (Converse) and InvokeModelWithResponseStream (ConverseStream); nothing without modelIds."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import CUSTOM_ACCOUNT, CUSTOM_CONTEXT, CUSTOM_REGION, Synth
from .test_iam import _as_list, statements

pytestmark = pytest.mark.infra

BEDROCK = {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}


def bedrock_statements(synth: Synth) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, statement)
        for logical_id, statement in statements(synth)
        if any(str(action).startswith("bedrock:") for action in _as_list(statement["Action"]))
    ]


def step_worker_policies(synth: Synth) -> set[str]:
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "functions.workers.step_worker.handler"
    ]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return {
        logical_id
        for logical_id, policy in synth.resources("AWS::IAM::Policy").items()
        if {"Ref": role} in policy["Properties"]["Roles"]
    }


def test_no_model_ids_no_bedrock_permission(synth: Synth) -> None:
    assert bedrock_statements(synth) == []


def test_the_step_worker_may_call_exactly_the_configured_models(custom_synth: Synth) -> None:
    found = bedrock_statements(custom_synth)
    assert len(found) == 1, found
    logical_id, statement = found[0]
    assert logical_id in step_worker_policies(custom_synth)  # and no other function's role
    assert statement["Effect"] == "Allow"
    assert set(_as_list(statement["Action"])) == BEDROCK
    partition = "aws"
    assert sorted(map(str, _as_list(statement["Resource"]))) == sorted(
        [
            f"arn:{partition}:bedrock:{CUSTOM_REGION}::foundation-model/amazon.nova-lite-v1:0",
            # The profile, and its model in each region the profile may route to.
            f"arn:{partition}:bedrock:{CUSTOM_REGION}:{CUSTOM_ACCOUNT}:inference-profile/"
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            f"arn:{partition}:bedrock:*::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
        ]
    )


def test_the_default_model_reaches_the_functions(custom_synth: Synth) -> None:
    for function in custom_synth.resources("AWS::Lambda::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if "TABLE_NAME" in variables:
            assert variables["AGENT_RUNTIME_MODEL"] == CUSTOM_CONTEXT["defaultModel"]


@pytest.mark.parametrize(
    ("model_ids", "default_model", "message"),
    [
        ((), "bedrock:amazon.nova-lite-v1:0", "add 'amazon.nova-lite-v1:0' to modelIds"),
        ((), "gemini:pro", "scripted, bedrock:<model id> or openai:<model>"),
        (("Amazon Nova*",), None, "not a Bedrock model"),
    ],
)
def test_bad_model_settings_are_refused(
    model_ids: tuple[str, ...], default_model: str | None, message: str
) -> None:
    from infra.config import StackConfig

    with pytest.raises(ValueError, match=message):
        StackConfig(model_ids=model_ids, default_model=default_model).validate()

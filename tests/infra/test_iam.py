"""Least privilege: no Action "*", Resource "*" only for the actions docs/iam-exceptions.md lists, and
each function's role allows exactly what its manifest grants say."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from agent_runtime.store import schema
from functions import manifest
from functions.manifest import GRANT_ACTIONS, Grant

from .conftest import REPO_ROOT, Synth

pytestmark = pytest.mark.infra

EXCEPTIONS_DOC = REPO_ROOT / "docs" / "iam-exceptions.md"
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def listed_exceptions() -> set[str]:
    """The actions in the first column of the table in docs/iam-exceptions.md."""
    actions = set()
    for line in EXCEPTIONS_DOC.read_text().splitlines():
        match = re.match(r"\|\s*`([a-z0-9-]+:[A-Za-z0-9]+)`\s*\|", line)
        if match:
            actions.add(match.group(1))
    return actions


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(synth: Synth) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in synth.merged.items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in props["PolicyDocument"]["Statement"]:
                yield logical_id, statement
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, statement


def test_the_exceptions_doc_lists_actions() -> None:
    assert {"xray:PutTraceSegments", "logs:CreateLogDelivery"} <= listed_exceptions()


def test_no_wildcard_actions(synth: Synth) -> None:
    for logical_id, statement in statements(synth):
        assert "NotAction" not in statement, logical_id
        for action in _as_list(statement["Action"]):
            assert "*" not in action, f"{logical_id}: {action}"


def test_resource_star_only_for_listed_actions(synth: Synth) -> None:
    allowed = listed_exceptions()
    seen = set()
    for logical_id, statement in statements(synth):
        assert "NotResource" not in statement, logical_id
        if statement["Effect"] != "Allow" or "*" not in _as_list(statement.get("Resource", [])):
            continue
        actions = set(_as_list(statement["Action"]))
        seen |= actions
        assert actions <= allowed, (
            f"{logical_id} grants {sorted(actions - allowed)} on '*' (not in {EXCEPTIONS_DOC.name})"
        )
    assert seen, "expected the X-Ray and log-delivery exceptions with tracing on"


def _role_actions(synth: Synth, role_logical_id: str) -> set[str]:
    actions: set[str] = set()
    for resource in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in resource["Properties"]["Roles"]:
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                actions |= set(_as_list(statement["Action"]))
    return actions


def expected_actions(spec: manifest.FunctionSpec) -> set[str]:
    """In the default synth: no model ids are configured, so model:invoke grants nothing."""
    expected = LOG_ACTIONS | XRAY_ACTIONS
    for grant in spec.grants - {Grant.MODEL_INVOKE}:
        expected |= set(GRANT_ACTIONS[grant])
    return expected


def test_every_manifest_grant_has_its_resources() -> None:
    from infra.compute import GRANT_RESOURCES

    assert set(GRANT_RESOURCES) == set(Grant)
    assert GRANT_RESOURCES[Grant.EXECUTION_START] == "state-machine"
    assert GRANT_RESOURCES[Grant.EXECUTION_STOP] == "executions"
    # Only the task-callback actions, which name no resource, are on "*"
    assert [g for g, resource in GRANT_RESOURCES.items() if resource == "*"] == [Grant.TASK_CALLBACK]


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda spec: spec.name)
def test_each_role_allows_exactly_its_grants(synth: Synth, spec: manifest.FunctionSpec) -> None:
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == spec.handler
    ]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    assert _role_actions(synth, role) == expected_actions(spec)
    assert not synth.merged[role]["Properties"].get("ManagedPolicyArns")


def test_table_write_is_on_the_table_and_reads_include_the_indexes(synth: Synth) -> None:
    for _, statement in statements(synth):
        actions = set(_as_list(statement["Action"]))
        resources = _as_list(statement["Resource"])
        if actions & set(GRANT_ACTIONS[Grant.TABLE_WRITE]):
            assert len(resources) == 1 and resources[0]["Fn::GetAtt"][0].startswith("DataTable")
        if actions & set(GRANT_ACTIONS[Grant.TABLE_READ]):
            suffixes = sorted(
                r["Fn::Join"][1][1] for r in resources if isinstance(r, dict) and "Fn::Join" in r
            )
            assert suffixes == sorted(f"/index/{index.name}" for index in schema.INDEXES)


@pytest.mark.parametrize("machine_type", ["STANDARD", "EXPRESS"])
def test_state_machine_invokes_exactly_the_functions_it_references(synth: Synth, machine_type: str) -> None:
    _, machine = synth.state_machine(machine_type)
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    referenced = {v["Fn::GetAtt"][0] for v in machine["Properties"]["DefinitionSubstitutions"].values()}
    invoked = set()
    for resource in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} not in resource["Properties"]["Roles"]:
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if "lambda:InvokeFunction" in _as_list(statement["Action"]):
                assert _as_list(statement["Action"]) == ["lambda:InvokeFunction"]
                invoked |= {r["Fn::GetAtt"][0] for r in _as_list(statement["Resource"])}
    assert invoked == referenced

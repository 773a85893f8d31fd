"""Every context setting takes effect: the second synth (`custom_synth`) changes each away from its default
in infra/cdk.json (conftest.CUSTOM_CONTEXT); test_template.py checks the defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions import manifest

from .conftest import CUSTOM_ACCOUNT, CUSTOM_CONTEXT, CUSTOM_REGION, Synth

pytestmark = pytest.mark.infra

STAGE = CUSTOM_CONTEXT["stage"]
MEMORY_OVERRIDES: dict[str, int] = json.loads(CUSTOM_CONTEXT["memoryOverrides"])


def test_the_custom_context_differs_from_every_default() -> None:
    """So that each assertion below can only pass because the setting took effect."""
    from infra.config import default_context

    defaults = default_context()
    same = [key for key, value in CUSTOM_CONTEXT.items() if str(defaults[key]).lower() == str(value).lower()]
    assert not same, f"CUSTOM_CONTEXT repeats the defaults of {same}"
    assert defaults["alarms"] is True  # alarms=false: test_template.test_alarms_false_creates_no_alarms


def _functions(synth: Synth) -> dict[str, dict[str, Any]]:
    by_handler = {spec.handler: spec.name for spec in manifest.FUNCTIONS}
    return {
        by_handler[r["Properties"]["Handler"]]: r["Properties"]
        for r in synth.resources("AWS::Lambda::Function").values()
    }


def test_stage_names_the_stack_api_stage_and_state_machine(custom_synth: Synth) -> None:
    assert custom_synth.stack.stack_name == f"AgentRuntime-{STAGE}"
    (stage,) = custom_synth.resources("AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["StageName"] == STAGE
    _, machine = custom_synth.state_machine()
    assert machine["Properties"]["StateMachineName"] == f"agent-runtime-{STAGE}-run"
    for props in _functions(custom_synth).values():
        arn = props["Environment"]["Variables"]["STATE_MACHINE_ARN"]
        assert f":stateMachine:agent-runtime-{STAGE}-run" in json.dumps(arn)


def test_function_settings(custom_synth: Synth) -> None:
    functions = _functions(custom_synth)
    assert MEMORY_OVERRIDES
    for spec in manifest.FUNCTIONS:
        props = functions[spec.name]
        assert props["MemorySize"] == MEMORY_OVERRIDES.get(spec.name, spec.memory_mb), spec.name
        env = props["Environment"]["Variables"]
        assert env["SERVICE_NAME"] == f"agent-runtime-{STAGE}"  # the metrics' service dimension
        # Lambda filters the functions' logs at that level (WARNING is Lambda's WARN)
        assert props["LoggingConfig"]["ApplicationLogLevel"] == "WARN"
        assert env["ARTIFACT_URL_TTL_SECONDS"] == CUSTOM_CONTEXT["artifactUrlExpirySeconds"]
        assert env["AGENT_RUNTIME_WORKFLOW_MODULES"] == CUSTOM_CONTEXT["workflowModules"]
        # The API answers 404 for artifacts older than the bucket keeps them.
        assert env["ARTIFACT_RETENTION_DAYS"] == CUSTOM_CONTEXT["artifactRetentionDays"]


def test_tracing_off_everywhere(custom_synth: Synth) -> None:
    for name, props in _functions(custom_synth).items():
        assert props.get("TracingConfig", {}).get("Mode", "PassThrough") == "PassThrough", name
    (stage,) = custom_synth.resources("AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["TracingEnabled"] is False
    _, machine = custom_synth.state_machine()
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": False}
    granted = json.dumps([p["Properties"] for p in custom_synth.resources("AWS::IAM::Policy").values()])
    assert "xray:" not in granted


def test_state_machine_log_level_and_never_execution_data(custom_synth: Synth) -> None:
    _, machine = custom_synth.state_machine()
    logging = machine["Properties"]["LoggingConfiguration"]
    assert logging["Level"] == CUSTOM_CONTEXT["stateMachineLogLevel"]
    assert logging["IncludeExecutionData"] is False


def test_removal_policy_destroy_and_no_deletion_protection(custom_synth: Synth) -> None:
    (table,) = custom_synth.resources("AWS::DynamoDB::Table").values()
    assert table["Properties"]["DeletionProtectionEnabled"] is False
    kept = sorted(
        resource["Type"]
        for resource in custom_synth.merged.values()
        if resource.get("DeletionPolicy") == "Retain"
    )
    # CDK's one exception: API Gateway's account-level logging role and setting, which every REST API in
    # the account and region uses (docs/deploy.md).
    assert kept == ["AWS::ApiGateway::Account", "AWS::IAM::Role"]
    stateful = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::SQS::Queue")
    for resource_type in stateful:
        for logical_id, resource in custom_synth.resources(resource_type).items():
            assert resource["DeletionPolicy"] == "Delete", logical_id


def test_log_retention(custom_synth: Synth) -> None:
    log_groups = custom_synth.resources("AWS::Logs::LogGroup")
    # + the two state machines (standard, express), API access and execution
    assert len(log_groups) == len(manifest.FUNCTIONS) + 4
    for logical_id, log_group in log_groups.items():
        assert log_group["Properties"]["RetentionInDays"] == int(CUSTOM_CONTEXT["logRetentionDays"]), (
            logical_id
        )


def test_artifact_retention_and_access_log_expiry(custom_synth: Synth) -> None:
    buckets = custom_synth.resources("AWS::S3::Bucket")
    rules = {
        logical_id.removeprefix("Artifacts")[:6]: bucket["Properties"]["LifecycleConfiguration"]["Rules"]
        for logical_id, bucket in buckets.items()
    }
    assert sorted(rules) == ["Access", "Bucket"]
    expiring = {
        r.get("Prefix", ""): r["ExpirationInDays"] for r in rules["Bucket"] if "ExpirationInDays" in r
    }
    # Payloads never expire: a claim-checked payload lives as long as its run.
    assert expiring == {"artifacts/": int(CUSTOM_CONTEXT["artifactRetentionDays"])}
    assert any("AbortIncompleteMultipartUpload" in r for r in rules["Bucket"])
    assert [r["ExpirationInDays"] for r in rules["Access"]] == [int(CUSTOM_CONTEXT["accessLogExpiryDays"])]


def test_api_throttling(custom_synth: Synth) -> None:
    (stage,) = custom_synth.resources("AWS::ApiGateway::Stage").values()
    (settings,) = stage["Properties"]["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == int(CUSTOM_CONTEXT["throttlingRateLimit"])
    assert settings["ThrottlingBurstLimit"] == int(CUSTOM_CONTEXT["throttlingBurstLimit"])


def test_every_alarm_notifies_the_alarm_email_through_an_encrypted_topic(custom_synth: Synth) -> None:
    """Given alarmEmail, then one topic, encrypted with a rotated customer managed key CloudWatch may use
    (it can't use aws/sns), with the address subscribed, is the action of every alarm."""
    (topic_id, topic), *others = custom_synth.resources("AWS::SNS::Topic").items()
    assert not others
    (subscription,) = custom_synth.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Endpoint": CUSTOM_CONTEXT["alarmEmail"],
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
    }
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = custom_synth.template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    (cloudwatch_use,) = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(cloudwatch_use["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    (policy,) = custom_synth.resources("AWS::SNS::TopicPolicy").values()
    (publish,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    # Only this account's alarms may publish (no confused deputy).
    source = publish["Condition"]["ArnLike"]["aws:SourceArn"]
    assert source == f"arn:aws:cloudwatch:{CUSTOM_REGION}:{CUSTOM_ACCOUNT}:alarm:*"
    alarms = custom_synth.resources("AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}], logical_id
        assert f"agent-runtime {STAGE}:" in alarm["Properties"]["AlarmDescription"]

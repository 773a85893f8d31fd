"""The synthesized template has what functions/manifest.py and the local stack say it has."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
import yaml

from agent_runtime.store import schema
from functions import manifest

from .conftest import REPO_ROOT, Synth

if TYPE_CHECKING:
    from infra.config import StackConfig

pytestmark = pytest.mark.infra

OPENAPI = REPO_ROOT / "openapi" / "agent-runtime.yaml"
ACP_OPENAPI = REPO_ROOT / "openapi" / "acp-openapi-0.2.3.json"


# infra (and so aws_cdk, whose import starts jsii's Node kernel) is imported when a test runs, not when
# the module is collected: every xdist worker collects this file, one runs it.
def default_context() -> dict[str, Any]:
    from infra.config import default_context as read

    return read()


def _stack_config(node: Any) -> StackConfig:
    from infra.config import StackConfig

    return StackConfig.from_node(node)


def _functions_by_name(synth: Synth) -> dict[str, dict[str, Any]]:
    by_handler = {spec.handler: spec.name for spec in manifest.FUNCTIONS}
    found = {}
    for resource in synth.resources("AWS::Lambda::Function").values():
        props = resource["Properties"]
        assert props["Handler"] in by_handler, f"a function not in the manifest: {props['Handler']}"
        found[by_handler[props["Handler"]]] = props
    return found


def test_one_function_per_manifest_entry(synth: Synth) -> None:
    functions = _functions_by_name(synth)
    assert len(synth.resources("AWS::Lambda::Function")) == len(manifest.FUNCTIONS)
    assert set(functions) == {spec.name for spec in manifest.FUNCTIONS}


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda spec: spec.name)
def test_function_runtime_memory_timeout_and_layers(synth: Synth, spec: manifest.FunctionSpec) -> None:
    props = _functions_by_name(synth)[spec.name]
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    overrides = default_context().get("memoryOverrides") or {}
    assert props["MemorySize"] == overrides.get(spec.name, spec.memory_mb)
    assert props["Timeout"] == spec.timeout_seconds
    assert len(props["Layers"]) == 2  # dependencies + runtime
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert "LogGroup" in props["LoggingConfig"]


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda spec: spec.name)
def test_function_environment(synth: Synth, spec: manifest.FunctionSpec) -> None:
    env = _functions_by_name(synth)[spec.name]["Environment"]["Variables"]
    context = default_context()
    assert set(env) >= {
        "TABLE_NAME",
        "BUCKET_NAME",
        "STATE_MACHINE_ARN",
        "AGENT_RUNTIME_WORKFLOW_MODULES",
        "ARTIFACT_URL_TTL_SECONDS",
        "SERVICE_NAME",
        "METRICS_NAMESPACE",
    }
    # Nothing reads these: the level is Lambda's (LoggingConfig), and observability.py configures
    # Powertools' formatter and metrics itself (METRICS_NAMESPACE, SERVICE_NAME).
    assert not {"LOG_LEVEL", "POWERTOOLS_SERVICE_NAME"} & set(env)
    table = next(iter(synth.resources("AWS::DynamoDB::Table")))
    assert env["TABLE_NAME"] == {"Ref": table}
    assert env["BUCKET_NAME"]["Ref"].startswith("ArtifactsBucket")
    # Built from the fixed state machine name, not a reference (which would be a cycle).
    joined = env["STATE_MACHINE_ARN"]["Fn::Join"][1]
    assert joined[-1].endswith(f":stateMachine:agent-runtime-{context['stage']}-run")
    # JSON logs that Lambda filters by level: the runtime applies it to Python's root logger, which
    # otherwise stays at WARNING and drops every INFO record of the functions.
    assert _functions_by_name(synth)[spec.name]["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": context["logLevel"],
        "SystemLogLevel": "WARN",
        "LogGroup": _functions_by_name(synth)[spec.name]["LoggingConfig"]["LogGroup"],
    }
    assert env["ARTIFACT_URL_TTL_SECONDS"] == str(context["artifactUrlExpirySeconds"])
    assert env["AGENT_RUNTIME_WORKFLOW_MODULES"] == ",".join(context["workflowModules"])
    # What agent_runtime.observability reads: EMF namespace and the `service` dimension, per stage.
    assert env["SERVICE_NAME"] == f"agent-runtime-{context['stage']}"
    assert env["METRICS_NAMESPACE"] == "AgentRuntime"
    # Artifacts are kept by default, so the API has no retention to enforce.
    assert "ARTIFACT_RETENTION_DAYS" not in env


def _resource_paths(synth: Synth) -> dict[str, str]:
    """Logical id of each AWS::ApiGateway::Resource -> its full path."""
    resources = synth.resources("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def _route_methods(synth: Synth) -> dict[str, dict[str, Any]]:
    """The methods of manifest routes: not the ANY methods answering 405 (test_method_not_allowed.py)."""
    methods = synth.resources("AWS::ApiGateway::Method")
    return {k: r for k, r in methods.items() if r["Properties"]["HttpMethod"] != "ANY"}


def _methods(synth: Synth) -> set[tuple[str, str]]:
    paths = _resource_paths(synth)
    methods = set()
    public = {route.path for route, spec in manifest.routes() if spec.public}
    for resource in _route_methods(synth).values():
        props = resource["Properties"]
        path = paths[props["ResourceId"]["Ref"]]
        methods.add((props["HttpMethod"], path))
        if path in public:  # discovery documents (A2A agent cards): no authorizer, as the manifest says
            assert props["AuthorizationType"] == "NONE" and "AuthorizerId" not in props
        else:
            assert props["AuthorizationType"] == "CUSTOM"
            assert props["AuthorizerId"]["Ref"] in synth.resources("AWS::ApiGateway::Authorizer")
        assert props["Integration"]["Type"] == "AWS_PROXY"
    return methods


def test_one_api_method_per_manifest_route(synth: Synth) -> None:
    expected = {(route.method, route.path) for route, _ in manifest.routes()}
    assert len(_route_methods(synth)) == len(manifest.routes())
    assert _methods(synth) == expected


def test_each_method_invokes_its_manifest_function(synth: Synth) -> None:
    handlers = {
        logical_id: r["Properties"]["Handler"]
        for logical_id, r in synth.resources("AWS::Lambda::Function").items()
    }
    paths = _resource_paths(synth)
    for resource in _route_methods(synth).values():
        props = resource["Properties"]
        uri_parts = props["Integration"]["Uri"]["Fn::Join"][1]
        targets = [
            part["Fn::GetAtt"][0] for part in uri_parts if isinstance(part, dict) and "Fn::GetAtt" in part
        ]
        route = (props["HttpMethod"], paths[props["ResourceId"]["Ref"]])
        spec = next(spec for r, spec in manifest.routes() if (r.method, r.path) == route)
        assert {handlers[t] for t in targets} == {spec.handler}


@pytest.mark.skipif(not OPENAPI.exists(), reason="openapi/agent-runtime.yaml is not written yet")
def test_every_route_is_in_the_openapi_contract() -> None:
    """Every deployed route is in the v1 contract or in ACP 0.2.3's (openapi/acp-openapi-0.2.3.json)."""
    paths = yaml.safe_load(Path(OPENAPI).read_text())["paths"]
    acp_paths = json.loads(ACP_OPENAPI.read_text())["paths"]
    # A2A's routes answer to A2A's own contract (tests/doors/a2a/spec/), ACP's aliases to the README.
    elsewhere = manifest.routes_with_other_contracts()
    missing = [
        f"{route.method} {route.path}"
        for route, _ in manifest.routes()
        if route not in elsewhere
        and route.method.lower() not in paths.get(route.path, {})
        and route.method.lower() not in acp_paths.get(route.path, {})
    ]
    assert not missing, f"routes deployed but in neither {OPENAPI.name} nor {ACP_OPENAPI.name}: {missing}"


def test_each_route_family_has_a_request_authorizer_cached_per_key_of_its_header(synth: Synth) -> None:
    from infra.api import API_KEY, BEARER, identity_header

    authorizers = synth.resources("AWS::ApiGateway::Authorizer")
    handlers = {k: r["Properties"]["Handler"] for k, r in synth.resources("AWS::Lambda::Function").items()}
    for props in (a["Properties"] for a in authorizers.values()):
        assert props["Type"] == "REQUEST"
        uri = props["AuthorizerUri"]["Fn::Join"][1]
        targets = {p["Fn::GetAtt"][0] for p in uri if isinstance(p, dict) and "Fn::GetAtt" in p}
        assert {handlers[t] for t in targets} == {manifest.by_name(manifest.AUTHORIZER).handler}
    # Each route's method is behind its family's authorizer: v1 (SDK, console) by Authorization, ACP by
    # x-api-key, each cached 5 minutes per value; A2A (its card offers both headers) uncached.
    paths = _resource_paths(synth)
    by_route = {(route.method, route.path): spec for route, spec in manifest.routes()}
    families: dict[str | None, set[str]] = {}
    for method in _route_methods(synth).values():
        props = method["Properties"]
        spec = by_route[(props["HttpMethod"], paths[props["ResourceId"]["Ref"]])]
        if spec.public:
            continue
        authorizer = authorizers[props["AuthorizerId"]["Ref"]]["Properties"]
        header = identity_header(spec)
        families.setdefault(header, set()).add(spec.name)
        if header is None:
            assert authorizer["AuthorizerResultTtlInSeconds"] == 0 and "IdentitySource" not in authorizer
        else:
            assert authorizer["IdentitySource"] == f"method.request.header.{header}"
            assert authorizer["AuthorizerResultTtlInSeconds"] == 300
    assert set(families) == {BEARER, API_KEY, None}
    assert {"create_run", "get_run", "approve_checkpoint"} <= families[BEARER]
    assert {name for name, *_ in manifest.ACP_OPERATIONS} == families[API_KEY]
    assert set(manifest.A2A_FUNCTIONS) - {"a2a_agent_card"} == families[None]


def test_stage_has_access_logs_throttling_and_tracing(synth: Synth) -> None:
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    context = default_context()
    assert props["StageName"] == context["stage"]
    assert "DestinationArn" in props["AccessLogSetting"]
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == context["throttlingRateLimit"]
    assert settings["ThrottlingBurstLimit"] == context["throttlingBurstLimit"]
    assert settings["LoggingLevel"] == "ERROR"
    assert props["TracingEnabled"] is True


def test_api_execution_logs_go_to_a_log_group_of_the_stack_created_before_the_stage(synth: Synth) -> None:
    """API Gateway writes execution logs to API-Gateway-Execution-Logs_<api id>/<stage> and creates that
    group itself, with no retention, if it does not exist when the stage first logs."""
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    (api_id,) = synth.resources("AWS::ApiGateway::RestApi")
    expected_name = {
        "Fn::Join": ["", ["API-Gateway-Execution-Logs_", {"Ref": api_id}, f"/{default_context()['stage']}"]]
    }
    (log_group_id,) = [
        k
        for k, r in synth.resources("AWS::Logs::LogGroup").items()
        if r["Properties"].get("LogGroupName") == expected_name
    ]
    assert log_group_id in stage["DependsOn"], "the stage may start logging before its log group exists"


def test_gateway_errors_are_problem_json(synth: Synth) -> None:
    responses = synth.resources("AWS::ApiGateway::GatewayResponse").values()
    by_type = {r["Properties"]["ResponseType"]: r["Properties"] for r in responses}
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(by_type)
    for props in by_type.values():
        assert (
            props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        )
    assert by_type["UNAUTHORIZED"]["StatusCode"] == "401"
    # An authorizer that fails (its table read throttled) is a 503 to retry, not a 500 or a 401.
    assert by_type["AUTHORIZER_FAILURE"]["StatusCode"] == "503"
    for throttled in ("AUTHORIZER_FAILURE", "THROTTLED"):
        assert by_type[throttled]["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"


def test_table_matches_the_local_stack(synth: Synth) -> None:
    (table,) = synth.resources("AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert props["DeletionProtectionEnabled"] is bool(default_context()["deletionProtection"])
    assert table["DeletionPolicy"] == "Retain"
    attributes = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert attributes == {name: "S" for name in schema.KEY_ATTRIBUTES}
    assert {"PK", "SK", "created_key", "gsi1pk", "gsi2pk", "gsi3pk"} <= set(attributes)
    gsis = {
        g["IndexName"]: (g["KeySchema"], g["Projection"]["ProjectionType"])
        for g in props["GlobalSecondaryIndexes"]
    }
    assert gsis == {
        index.name: (
            [
                {"AttributeName": index.partition_key, "KeyType": "HASH"},
                {"AttributeName": index.sort_key, "KeyType": "RANGE"},
            ],
            index.projection,
        )
        for index in schema.INDEXES
    }


def test_bucket_is_private_encrypted_tls_only_and_keeps_payloads_and_artifacts(synth: Synth) -> None:
    buckets = synth.resources("AWS::S3::Bucket")
    artifacts_id = next(k for k in buckets if k.startswith("ArtifactsBucket"))
    props = buckets[artifacts_id]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # Run, event and artifact items in the table have no TTL: an object they point to must not expire.
    # Only abandoned multipart uploads are cleaned up.
    assert default_context()["artifactRetentionDays"] is None
    assert props["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "abort-incomplete-uploads",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            "Status": "Enabled",
        }
    ]
    assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith("ArtifactsAccessLogs")
    policies = [
        p["Properties"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": artifacts_id}
    ]
    (policy,) = policies
    (deny_plain_http,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny_plain_http["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_state_machine_is_standard_logged_and_traced(synth: Synth) -> None:
    _, machine = synth.state_machine()
    props = machine["Properties"]
    context = default_context()
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == f"agent-runtime-{context['stage']}-run"
    assert props["LoggingConfiguration"]["Level"] == context["stateMachineLogLevel"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert set(props["DefinitionSubstitutions"]) == set(manifest.STATE_MACHINE_FUNCTIONS)


def test_state_machine_logs_never_include_execution_data(synth: Synth) -> None:
    """Execution data (state input and output) carries AwaitHuman's task token ($$.Task.Token): logged,
    anyone who can read the log group could complete or fail the parked task."""
    _, machine = synth.state_machine()
    assert machine["Properties"]["LoggingConfiguration"]["IncludeExecutionData"] is False


def test_log_groups_have_retention(synth: Synth) -> None:
    for log_group in synth.resources("AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["RetentionInDays"] == default_context()["logRetentionDays"]


def test_alarms_on_api_5xx_routeless_functions_failed_executions_and_dead_letters(synth: Synth) -> None:
    alarms = [a["Properties"] for a in synth.resources("AWS::CloudWatch::Alarm").values()]
    metrics = sorted((a["Namespace"], a["MetricName"]) for a in alarms)
    routeless = [spec for spec in manifest.FUNCTIONS if not spec.routes]
    expected = sorted(
        [("AWS/ApiGateway", "5XXError")]
        + [("AWS/Lambda", "Errors")] * len(routeless)
        + [("AWS/Lambda", "Throttles")] * len(routeless)
        + [("AWS/States", "ExecutionsFailed")]
        + [("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    )
    assert metrics == expected


def test_alarms_notify_nobody_unless_an_alarm_email_is_set(synth: Synth) -> None:
    assert default_context()["alarmEmail"] is None
    assert not synth.resources("AWS::SNS::Topic")
    for alarm in synth.resources("AWS::CloudWatch::Alarm").values():
        assert "AlarmActions" not in alarm["Properties"]


def test_alarms_false_creates_no_alarms() -> None:
    """Given alarms=false, when the observability construct is built, then it adds no alarm (and needs
    nothing from the rest of the stack: it returns before reading it)."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.observability import Observability

    stack = cdk.Stack(cdk.App())
    unused = cast(Any, None)
    config = _stack_config(cdk.App(context={**default_context(), "alarms": "false"}).node)
    Observability(
        stack,
        "Observability",
        config=config,
        compute=unused,
        rest_api=unused,
        state_machine=unused,
        dead_letters=unused,
    )
    assert Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm") == {}


# CloudFormation refuses a template of more than 500 resources; fail here, with room to plan, first.
RESOURCE_CAP = 420


def test_the_stack_keeps_headroom_under_cloudformations_500_resources(synth: Synth) -> None:
    # Each route's function costs about five resources (function, log group, permission, method,
    # resource, plus the path's ANY method): move a door to a nested stack (infra/doors.py) or share
    # roles/log groups before adding more.
    count = len(synth.template["Resources"])
    print(f"stack resources: {count}")
    assert count <= RESOURCE_CAP, f"{count} resources: move a door to a nested stack (infra/doors.py)"


def test_each_door_stack_keeps_headroom_and_holds_its_functions_routes_and_roles(synth: Synth) -> None:
    from infra.doors import DOORS

    assert set(synth.doors) == set(DOORS)
    for name, (_, template) in synth.doors.items():
        resources = template["Resources"]
        assert len(resources) <= RESOURCE_CAP, f"{name}: {len(resources)} resources"
        handlers = {
            r["Properties"]["Handler"] for r in resources.values() if r["Type"] == "AWS::Lambda::Function"
        }
        assert handlers == {manifest.by_name(n).handler for n in DOORS[name]}
        # Its functions' roles are its own, so the main stack's policies never name its log groups.
        roles = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
        assert all(r["Properties"]["Role"]["Fn::GetAtt"][0] in resources for r in roles)
    main_handlers = {
        r["Properties"]["Handler"]
        for r in synth.template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    }
    assert not main_handlers & {manifest.by_name(n).handler for names in DOORS.values() for n in names}


def test_the_api_is_deployed_after_the_doors_nested_stacks(synth: Synth) -> None:
    (deployment,) = [
        r for r in synth.template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Deployment"
    ]
    nested = [k for k, r in synth.template["Resources"].items() if r["Type"] == "AWS::CloudFormation::Stack"]
    assert set(nested) <= set(deployment["DependsOn"])


def test_outputs(synth: Synth) -> None:
    assert {"ApiUrl", "TableName", "BucketName", "StateMachineArn"} <= set(synth.template["Outputs"])


@pytest.mark.parametrize(
    "change",
    [
        {"stage": "Prod!"},
        {"logLevel": "LOUD"},
        {"removalPolicy": "snapshot-ish"},
        {"logRetentionDays": 31},
        {"memoryOverrides": {"step_worker": 64}},
        {"artifactUrlExpirySeconds": 0},
        {"artifactRetentionDays": 0},
        {"alarmEmail": "not-an-address"},
        {"alarmEmail": "ops@example.com", "alarms": False},
        # Removed settings are refused, not silently ignored: an operator relying on them must notice.
        {"payloadExpiryDays": 30},
        {"artifactExpiryDays": 90},
    ],
)
def test_bad_context_is_refused_before_synth(change: dict[str, Any]) -> None:
    import aws_cdk as cdk

    app = cdk.App(context={**default_context(), **change})
    with pytest.raises(ValueError):
        _stack_config(app.node)


def test_context_strings_from_the_cli_are_parsed() -> None:
    import aws_cdk as cdk

    cli = {
        "tracing": "false",
        "workflowModules": "a.b, c.d",
        "memoryOverrides": '{"step_worker": 2048}',
        "artifactRetentionDays": "45",
        "alarmEmail": " ops@example.com ",
    }
    config = _stack_config(cdk.App(context={**default_context(), **cli}).node)
    assert config.tracing is False
    assert config.workflow_modules == ("a.b", "c.d")
    assert config.memory_overrides == {"step_worker": 2048}
    assert config.artifact_retention_days == 45
    assert config.alarm_email == "ops@example.com"


@pytest.mark.parametrize("unset", ["", "none", "null"])
def test_optional_settings_can_be_unset_from_the_cli(unset: str) -> None:
    import aws_cdk as cdk

    cli = {"artifactRetentionDays": unset, "alarmEmail": unset}
    config = _stack_config(cdk.App(context={**default_context(), **cli}).node)
    assert config.artifact_retention_days is None
    assert config.alarm_email is None


def test_webhook_queue_dlq_and_event_sources(synth: Synth) -> None:
    queues = synth.resources("AWS::SQS::Queue")
    assert len(queues) == 2
    with_redrive = [q["Properties"] for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    assert len(with_redrive) == 1 and with_redrive[0]["RedrivePolicy"]["maxReceiveCount"] == 5
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in queues.values())
    functions = _functions_by_name(synth)
    mappings = [m["Properties"] for m in synth.resources("AWS::Lambda::EventSourceMapping").values()]
    sources = (manifest.Trigger.TABLE_STREAM, manifest.Trigger.WEBHOOK_QUEUE)
    triggered = [s for s in manifest.FUNCTIONS if s.trigger in sources]
    assert len(mappings) == len(triggered) == 2
    by_source = {
        "Fn::GetAtt" in str(m["EventSourceArn"]) and "StreamArn" in str(m["EventSourceArn"]): m
        for m in mappings
    }
    stream = by_source[True]
    assert stream["StartingPosition"] == "TRIM_HORIZON" and stream["BisectBatchOnFunctionError"] is True
    queue = by_source[False]
    assert queue["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    env = functions["webhook_delivery"]["Environment"]["Variables"]
    assert {"WEBHOOK_QUEUE_URL", "WEBHOOK_DLQ_URL"} <= set(env)


def test_stream_batches_that_give_up_go_to_the_alarmed_dead_letter_queue(synth: Synth) -> None:
    """Records the stream mapping drops after its retries or max age must not vanish: they go to the
    dead-letter queue, whose depth is an alarm, and the consumer's role may send there."""
    queues = synth.resources("AWS::SQS::Queue")
    (dlq_id,) = [k for k, q in queues.items() if "RedrivePolicy" not in q["Properties"]]
    (stream,) = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if "StreamArn" in str(m["Properties"]["EventSourceArn"])
    ]
    assert stream["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [dlq_id, "Arn"]}}}
    alarmed = [
        a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "AWS/SQS"
    ]
    assert [a["Dimensions"] for a in alarmed] == [
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}]
    ]
    function_id = stream["FunctionName"]["Ref"]
    role = synth.merged[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    sends = [
        statement["Resource"]
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sqs:SendMessage" in statement["Action"]
    ]
    assert any({"Fn::GetAtt": [dlq_id, "Arn"]} in resources for resources in sends)


def _function_id(synth: Synth, name: str) -> str:
    handler = manifest.by_name(name).handler
    (logical_id,) = [
        k
        for k, r in synth.resources("AWS::Lambda::Function").items()
        if r["Properties"]["Handler"] == handler
    ]
    return logical_id


def test_each_schedule_function_gets_a_schedule_with_its_rate_a_dlq_and_a_role_for_it_alone(
    synth: Synth,
) -> None:
    scheduled = [spec for spec in manifest.FUNCTIONS if spec.trigger == manifest.Trigger.SCHEDULE]
    assert scheduled, "the manifest has no SCHEDULE function to test"
    schedules = [s["Properties"] for s in synth.resources("AWS::Scheduler::Schedule").values()]
    assert len(schedules) == len(scheduled)
    (dlq_id,) = [
        k for k, q in synth.resources("AWS::SQS::Queue").items() if "RedrivePolicy" not in q["Properties"]
    ]
    for spec in scheduled:
        assert spec.schedule and spec.schedule.startswith(("rate(", "cron(", "at("))
        function_id = _function_id(synth, spec.name)
        (schedule,) = [s for s in schedules if s["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}]
        assert schedule["ScheduleExpression"] == spec.schedule
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        target = schedule["Target"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
        # The schedule's role: assumed by Scheduler for this account only, may invoke only this function.
        role_id = target["RoleArn"]["Fn::GetAtt"][0]
        role = synth.merged[role_id]["Properties"]
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
        assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
        granted = sorted(
            (statement["Action"], json.dumps(statement["Resource"], sort_keys=True))
            for policy in synth.resources("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        )
        assert granted == sorted(
            [
                ("lambda:InvokeFunction", json.dumps({"Fn::GetAtt": [function_id, "Arn"]}, sort_keys=True)),
                ("sqs:SendMessage", json.dumps({"Fn::GetAtt": [dlq_id, "Arn"]}, sort_keys=True)),
            ]
        )
        # The next tick is the retry: no asynchronous retries of Lambda's own overlapping it.
        (invoke_config,) = [
            c["Properties"]
            for c in synth.resources("AWS::Lambda::EventInvokeConfig").values()
            if c["Properties"]["FunctionName"] == {"Ref": function_id}
        ]
        assert invoke_config["MaximumRetryAttempts"] == 0


def test_a_schedule_spec_without_its_expression_is_refused() -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_

    from infra.callbacks import CallbackQueues, connect_triggers

    app = cdk.App(context=default_context())
    stack = cdk.Stack(app)
    queues = CallbackQueues(stack, "Queues", config=_stack_config(app.node))
    functions: dict[str, lambda_.IFunction] = {
        spec.name: lambda_.Function.from_function_name(stack, spec.name, spec.name)
        for spec in manifest.FUNCTIONS
    }
    broken = tuple(
        dataclasses.replace(spec, schedule=None) if spec.trigger == manifest.Trigger.SCHEDULE else spec
        for spec in manifest.FUNCTIONS
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("infra.callbacks.FUNCTIONS", broken)
        with pytest.raises(ValueError, match="needs a schedule"):
            connect_triggers(
                stack, functions, "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x", queues
            )

"""cdk-nag AwsSolutions findings this stack accepts, each narrowed to where it occurs and with its reason.

Every IAM wildcard accepted here is also listed, with its reason, in docs/iam-exceptions.md, and
tests/infra checks that the template has no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import IConstruct

from functions import manifest
from functions.manifest import Grant
from infra.compute import GRANT_RESOURCES

if TYPE_CHECKING:
    from infra.console import ConsoleStack
    from infra.stack import AgentRuntimeStack

XRAY_REASON = (
    "X-Ray tracing (context tracing=true): xray:PutTraceSegments and xray:PutTelemetryRecords support no "
    "resource-level permissions, so AWS allows only Resource '*' for them (docs/iam-exceptions.md)."
)
STATE_MACHINE_LOGS_REASON = (
    "Step Functions logging to CloudWatch Logs: logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, "
    "DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups "
    "support no resource-level permissions (Step Functions developer guide, 'IAM policies for logging to "
    "CloudWatch Logs'); with tracing on, the X-Ray actions likewise (docs/iam-exceptions.md)."
)
TASK_CALLBACK_REASON = (
    "Checkpoint callbacks: states:SendTaskSuccess and states:SendTaskFailure act on a task token, not on a "
    "resource ARN, and accept only Resource '*'; the token itself is the unguessable capability "
    "(docs/iam-exceptions.md)."
)
OBJECTS_REASON = (
    "Objects under the two key prefixes the runtime uses (payloads/, artifacts/); their keys carry tenant "
    "and run ids created at run time, so no fixed list of object ARNs exists."
)
EXECUTIONS_REASON = (
    "StopExecution and DescribeExecution act on an execution ARN, which ends with the run id (the execution "
    "name) chosen at run time; the wildcard is limited to executions of this stack's run state machine."
)
PYTHON_RUNTIME_REASON = (
    "Python 3.12 is pinned on purpose: the dependencies layer is built from uv.lock for CPython 3.12 "
    "(manylinux2014_aarch64 cp312 wheels); moving runtimes is a deliberate change of the layer build, the "
    "runtime constant and this suppression together."
)
ACCOUNT_LOG_ROLE_REASON = (
    "The account-level role API Gateway uses to write access and execution logs for every REST API in "
    "the account and region, not only this stack's, so no list of log groups fits it; AWS documents this "
    "managed policy for that role."
)
NO_TRACING_REASON = (
    "X-Ray tracing is off because the operator deployed with context tracing=false (default true); "
    "Step Functions still keeps each execution's history for 90 days, and run events are in the table."
)
STATE_MACHINE_LOG_LEVEL_REASON = (
    "The state machine logs at {level}, not ALL, because the operator deployed with context "
    "stateMachineLogLevel={level} (default ALL); run status and events are kept in the table regardless."
)
PUBLIC_ROUTE_REASON = (
    "A public discovery document (functions/manifest.py FunctionSpec.public: A2A's agent cards, which A2A "
    "clients fetch before they have credentials). It holds no tenant data; every data route stays behind "
    "the API-key authorizer."
)
COGNITO_REASON = (
    "Clients authenticate with tenant API keys (stored hashed in the table) checked by the Lambda REQUEST "
    "authorizer, as the v1 API and ACP (x-api-key) require; a Cognito user pool does not fit machine clients "
    "of an agent protocol."
)
REQUEST_VALIDATION_REASON = (
    "Every handler validates its path, query and body with pydantic and answers problem+json with the field "
    "errors; an API Gateway request validator would answer in its own format and duplicate the schemas."
)
WAF_REASON = (
    "A WAFv2 web ACL has a fixed monthly charge, against this stack's pay-per-use design (~0 at rest); "
    "requests are authenticated by the authorizer and rate-limited by stage throttling. Operators who want "
    "WAF associate a web ACL with the stage (docs/deploy.md)."
)

DLQ_REASON = (
    "This queue is the dead-letter queue of the webhook delivery queue and the on-failure destination of "
    "the table stream's event source mapping and of schedules: what lands here is kept 14 days for "
    "inspection and alarmed on (WebhookDeadLetters); a dead-letter queue of its own would only move the "
    "same messages once more."
)

# The approvals console's nested stack (infra/console.py).
CONSOLE_PUBLIC_REASON = (
    "The console's static files are public on purpose: its sign-in page must load before anyone has "
    "given a key, and the files hold no tenant data. Every data call the page makes goes to /v1 behind "
    "the Lambda authorizer; these two methods only read the console's own bucket (or redirect to it)."
)
CONSOLE_BUCKET_LOGS_REASON = (
    "The console bucket holds only the console's public static files (console/static/, replaced on every "
    "deploy) and no tenant data; every read of them is an API Gateway request, already in the API's "
    "access log, and only the deploy writes them."
)
CONSOLE_READ_REASON = (
    "API Gateway reads any object of the console bucket, which holds only the console's public static "
    "files; their keys are the files' paths, so no fixed list of object ARNs exists."
)
CONSOLE_PUBLISH_REASON = (
    "The CDK's own BucketDeployment provider (aws-s3-deployment), which runs only during a deploy to copy "
    "console/static/ into the console bucket: its runtime is the one the CDK release pins, its role has "
    "the AWS basic execution policy (logs only), and its grants are the CDK's (read the CDK asset bucket, "
    "write and prune the console bucket's objects, whose keys are not known in advance)."
)


MODELS_REASON = (
    "A Bedrock cross-region inference profile (a model id prefixed us., eu., apac., global.) routes each "
    "call to the model in any region of its geography, and Bedrock authorises the call on the model in "
    "the region that serves it: the Bedrock user guide's policy for inference profiles grants the "
    "foundation model in every region (arn:...:bedrock:*::foundation-model/<model id>). Only the model ids "
    "configured in modelIds are named, and foundation models have no account."
)


def _suppress(
    construct: IConstruct, rule: str, reason: str, applies_to: list[str | RegexAppliesTo] | None = None
) -> None:
    NagSuppressions.add_resource_suppressions(
        construct,
        [NagPackSuppression(id=rule, reason=reason, applies_to=applies_to)],
        apply_to_children=True,
    )


def acknowledge_findings(stack: AgentRuntimeStack) -> None:
    config = stack.config
    compute = stack.compute
    roles = {}  # functions with the same grants share a role: acknowledge its findings once
    door_functions = [deployed for door in stack.doors for deployed in door.functions.values()]
    for deployed in [*compute.functions.values(), *door_functions]:
        _suppress(deployed.function, "AwsSolutions-L1", PYTHON_RUNTIME_REASON)
        roles[(deployed.role.node.path, deployed.spec.grants)] = deployed.role
    for (_, grants), role in roles.items():
        star_reasons = [XRAY_REASON] if config.tracing else []
        if any(GRANT_RESOURCES[grant] == "*" for grant in grants):
            star_reasons.append(TASK_CALLBACK_REASON)
        if star_reasons:
            _suppress(role, "AwsSolutions-IAM5", " ".join(star_reasons), ["Resource::*"])
        if grants & {Grant.PAYLOADS_READ, Grant.PAYLOADS_WRITE}:
            _suppress(
                role,
                "AwsSolutions-IAM5",
                OBJECTS_REASON,
                [RegexAppliesTo(regex=r"/^Resource::<[A-Za-z0-9]+\.Arn>\/(payloads|artifacts)\/\*$/g")],
            )
        if grants & {Grant.EXECUTION_STOP, Grant.EXECUTION_READ}:
            # Tokens when the stack is environment-agnostic (make synth), literals when the CLI knows the
            # account and region (make deploy).
            executions = (
                r"/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):states:(<AWS::Region>|[a-z0-9-]+):"
                r"(<AWS::AccountId>|[0-9]{12}):execution:" + config.state_machine_name + r":\*$/g"
            )
            _suppress(role, "AwsSolutions-IAM5", EXECUTIONS_REASON, [RegexAppliesTo(regex=executions)])
        if Grant.MODEL_INVOKE in grants and config.model_ids:
            models = (
                r"/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):bedrock:\*::"
                + r"foundation-model\/[a-z0-9.:_-]+$/g"
            )
            _suppress(role, "AwsSolutions-IAM5", MODELS_REASON, [RegexAppliesTo(regex=models)])
    for state_machine in (stack.orchestration.state_machine, stack.orchestration.express_state_machine):
        _suppress(state_machine.role, "AwsSolutions-IAM5", STATE_MACHINE_LOGS_REASON, ["Resource::*"])
        # Operator choices that AwsSolutions would refuse: acknowledged only when made, naming the setting.
        if not config.tracing:
            _suppress(state_machine, "AwsSolutions-SF2", NO_TRACING_REASON)
        if config.state_machine_log_level != "ALL":
            reason = STATE_MACHINE_LOG_LEVEL_REASON.format(level=config.state_machine_log_level)
            _suppress(state_machine, "AwsSolutions-SF1", reason)

    _suppress(stack.callback_queues.dead_letters, "AwsSolutions-SQS3", DLQ_REASON)

    rest_api = stack.api.rest_api
    _suppress(
        rest_api.node.find_child("CloudWatchRole"),
        "AwsSolutions-IAM4",
        ACCOUNT_LOG_ROLE_REASON,
        ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"],
    )
    _suppress(rest_api.node.default_child, "AwsSolutions-APIG2", REQUEST_VALIDATION_REASON)  # type: ignore[arg-type]
    _suppress(rest_api.deployment_stage, "AwsSolutions-APIG3", WAF_REASON)
    door_methods = [
        method for door in stack.doors for method in [*door.methods, *door.method_not_allowed.values()]
    ]
    for method in [*stack.api.methods, *stack.api.method_not_allowed.values(), *door_methods]:
        _suppress(method, "AwsSolutions-COG4", COGNITO_REASON)
    public = {route.path for route, spec in manifest.routes() if spec.public}
    public_methods = [
        *stack.api.public_methods,
        *(m for p, m in stack.api.method_not_allowed.items() if p in public),
    ]
    for method in public_methods:
        _suppress(method, "AwsSolutions-APIG4", PUBLIC_ROUTE_REASON)
        _suppress(method, "AwsSolutions-COG4", PUBLIC_ROUTE_REASON)
    acknowledge_console_findings(stack.console)


def acknowledge_console_findings(console: ConsoleStack) -> None:
    for method in console.public_methods:
        _suppress(method, "AwsSolutions-APIG4", CONSOLE_PUBLIC_REASON)
        _suppress(method, "AwsSolutions-COG4", CONSOLE_PUBLIC_REASON)
    _suppress(console.bucket, "AwsSolutions-S1", CONSOLE_BUCKET_LOGS_REASON)
    objects = RegexAppliesTo(regex=r"/^Resource::<[A-Za-z0-9]+\.Arn>\/\*$/g")
    _suppress(console.read_role, "AwsSolutions-IAM5", CONSOLE_READ_REASON, [objects])
    # The provider is a singleton function the CDK adds to the (nested) stack itself.
    for child in console.node.children:
        if child.node.id.startswith("Custom::CDKBucketDeployment"):
            for rule in ("AwsSolutions-L1", "AwsSolutions-IAM4", "AwsSolutions-IAM5"):
                _suppress(child, rule, CONSOLE_PUBLISH_REASON)

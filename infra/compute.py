"""The Lambda functions: one per manifest entry, two layers, and least-privilege IAM from each `grants`."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from functions import manifest
from functions.manifest import GRANT_ACTIONS, FunctionSpec, Grant
from infra.artifacts import ARTIFACTS_PREFIX, PAYLOADS_PREFIX
from infra.callbacks import CallbackQueues
from infra.config import REPO_ROOT, StackConfig
from infra.data import Data

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
# What agent_runtime/observability.py reads: the EMF metrics' namespace, and the `service` dimension of
# every metric, per stage so that two stages in one account and region don't add up.
METRICS_NAMESPACE = "AgentRuntime"


def service_name(config: StackConfig) -> str:
    return f"agent-runtime-{config.stage}"


# The actions of each grant are the manifest's (GRANT_ACTIONS, which the local stack also enforces);
# here, which of the stack's resources each grant's actions apply to. Task tokens are capabilities
# that name no resource: SendTaskSuccess/SendTaskFailure accept only Resource "*"
# (docs/iam-exceptions.md). Stream and queue-consume actions are on the ARNs Lambda's event source
# mappings read, as the DynamoDB and SQS developer guides' policies have them.
OBJECT_PREFIXES = (PAYLOADS_PREFIX, ARTIFACTS_PREFIX)
# logLevel (Python's names) -> Lambda's application log level.
APPLICATION_LOG_LEVELS = {
    "DEBUG": lambda_.ApplicationLogLevel.DEBUG,
    "INFO": lambda_.ApplicationLogLevel.INFO,
    "WARNING": lambda_.ApplicationLogLevel.WARN,
    "ERROR": lambda_.ApplicationLogLevel.ERROR,
    "CRITICAL": lambda_.ApplicationLogLevel.FATAL,
}
GRANT_RESOURCES: dict[Grant, str] = {
    Grant.TABLE_READ: "table",  # the table and its indexes
    Grant.TABLE_WRITE: "table-only",
    Grant.PAYLOADS_READ: "objects",
    Grant.PAYLOADS_WRITE: "objects",
    Grant.EXECUTION_START: "state-machine",
    Grant.EXECUTION_STOP: "executions",
    Grant.EXECUTION_READ: "executions",
    Grant.EXECUTION_LIST: "state-machine",
    Grant.TASK_CALLBACK: "*",
    Grant.QUEUE_SEND: "queues",  # the webhook queue (re-enqueue) and its DLQ
    Grant.QUEUE_CONSUME: "queue",
    Grant.STREAM_READ: "stream",
    Grant.MODEL_INVOKE: "models",  # the `modelIds` of the stack's context (model_arns); none: no statement
}
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")


def _scratch(prefix: str) -> Path:
    # CDK copies assets into the cloud assembly during synth; the staging copy goes when Python exits.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, root, True)
    return root


def stage_runtime_layer(config: StackConfig) -> Path:
    """The runtime layer's content: python/agent_runtime, plus any workflow directories the operator
    configured. The functions/ package is the functions' own code (stage_function_code), not the
    layer's; the local stack and CLI (agent_runtime_local) live outside layers/ and never ship."""
    root = _scratch("agent-runtime-layer-")
    python = root / "python"
    shutil.copytree(
        REPO_ROOT / "layers" / "runtime" / "agent_runtime", python / "agent_runtime", ignore=_IGNORE
    )
    for relative in config.workflow_paths:
        source = (REPO_ROOT / relative).resolve()
        if not source.is_dir():
            raise FileNotFoundError(f"workflowPaths: {relative} is not a directory under {REPO_ROOT}")
        shutil.copytree(source, python / source.name, ignore=_IGNORE)
    return root


def stage_function_code() -> Path:
    """Each function's own code: the functions/ package (handlers, the manifest and the state machine
    definition next to it), so the handler is in /var/task as Lambda expects; and as functions/openapi/
    the OpenAPI documents get_openapi and get_acp_openapi serve, as JSON (functions/api/get_openapi.py)."""
    root = _scratch("agent-runtime-code-")
    shutil.copytree(REPO_ROOT / "functions", root / "functions", ignore=_IGNORE)
    render_openapi_documents(root / "functions" / "openapi")
    return root


def render_openapi_documents(target: Path) -> None:
    """openapi/agent-runtime.yaml as JSON (the functions have no YAML parser) and ACP's JSON document."""
    import yaml

    target.mkdir(parents=True, exist_ok=True)
    document = yaml.safe_load((REPO_ROOT / "openapi" / "agent-runtime.yaml").read_text(encoding="utf-8"))
    (target / "agent-runtime.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(REPO_ROOT / "openapi" / "acp-openapi-0.2.3.json", target / "acp-openapi-0.2.3.json")


def dependencies_layer_dir(config: StackConfig) -> Path:
    path = Path(config.dependencies_layer_dir)
    path = path if path.is_absolute() else REPO_ROOT / path
    if not (path / "python").is_dir():
        raise FileNotFoundError(
            f"the dependencies layer is not built: {path}/python is missing. Run `make synth`, which builds "
            "it with infra/build_layer.sh (uv export of the locked requirements + pip install for "
            "manylinux2014_aarch64 / Python 3.12)."
        )
    return path


@dataclass(frozen=True)
class DeployedFunction:
    spec: FunctionSpec
    function: lambda_.Function
    role: iam.Role
    log_group: logs.LogGroup


@dataclass(frozen=True)
class FunctionInputs:
    """What every function is built from, whichever stack it is in: a nested stack (infra/doors.py)
    refers to the main stack's table, bucket, queues and layers (CDK passes them as parameters)."""

    config: StackConfig
    code_dir: Path
    layers: tuple[lambda_.ILayerVersion, ...]
    environment: dict[str, str]
    resources: dict[str, list[str]]  # GRANT_RESOURCES' names -> ARNs


class FunctionFactory:
    """Builds functions from manifest entries into one scope, with one role per distinct set of grants
    in that scope: every function still gets exactly what its manifest entry grants, and a stack holds
    no role and policy per function (two resources an endpoint)."""

    def __init__(self, scope: Construct, inputs: FunctionInputs) -> None:
        self.scope = scope
        self.inputs = inputs
        # CDK binds an asset to one stack: each stack gets its own Code of the same directory (one asset).
        self.code = lambda_.Code.from_asset(str(inputs.code_dir))
        self._roles: dict[frozenset[Grant], iam.Role] = {}

    def function(self, spec: FunctionSpec) -> DeployedFunction:
        config = self.inputs.config
        scope = Construct(self.scope, pascal(spec.name))
        log_group = logs.LogGroup(
            scope,
            "Logs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        role = self._role_for(spec.grants)
        # Instead of the AWSLambdaBasicExecutionRole managed policy (any log group): its own log group.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        function = lambda_.Function(
            scope,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=self.code,
            layers=list(self.inputs.layers),
            description=spec.description,
            memory_size=config.memory_overrides.get(spec.name, spec.memory_mb),
            timeout=Duration.seconds(spec.timeout_seconds),
            environment=self.inputs.environment,
            role=role,
            log_group=log_group,
            # JSON logs filtered by level by Lambda itself: the Python runtime applies the level to the
            # logging root logger (left at WARNING otherwise, dropping the runtime's INFO records), and
            # observability.py's filter adds the bound fields (docs/decisions.md 85).
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=APPLICATION_LOG_LEVELS[config.log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE if config.tracing else lambda_.Tracing.DISABLED,
            # A floor for the workers and the authorizer, a ceiling for held-open request functions:
            # long polls can't take the executions the steps need (docs/decisions.md 78).
            reserved_concurrent_executions=spec.reserved_concurrency if config.reserved_concurrency else None,
        )
        return DeployedFunction(spec, function, role, log_group)

    def _role_for(self, grants: frozenset[Grant]) -> iam.Role:
        if grants not in self._roles:
            names = sorted(grant.value for grant in grants)
            role = iam.Role(
                self.scope,
                "Role" + "".join(pascal(n.replace(":", "_").replace("-", "_")) for n in names),
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"agent-runtime functions granted: {', '.join(names) or 'nothing'}",
            )
            for statement in self._grant_statements(grants):
                role.add_to_policy(statement)
            self._roles[grants] = role
        return self._roles[grants]

    def _grant_statements(self, grants: frozenset[Grant]) -> list[iam.PolicyStatement]:
        statements = []
        for grant in sorted(grants):
            if grant not in GRANT_RESOURCES:
                raise KeyError(f"no resources for manifest grant {grant.value!r}: add it to GRANT_RESOURCES")
            if not self.inputs.resources[GRANT_RESOURCES[grant]]:
                continue  # nothing configured to grant it on (no model ids): no permission at all
            statements.append(
                iam.PolicyStatement(
                    actions=list(GRANT_ACTIONS[grant]),
                    resources=self.inputs.resources[GRANT_RESOURCES[grant]],
                )
            )
        return statements


class Compute(Construct):
    """Creates the functions of functions/manifest.py that live in the main stack (all but the doors'
    of infra/doors.py) with the grants they declare, and what every function shares: layers, code,
    environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        data: Data,
        bucket: s3.IBucket,
        queues: CallbackQueues,
        specs: tuple[FunctionSpec, ...] = manifest.FUNCTIONS,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=config.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.express_state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=config.express_state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.executions_arn = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{config.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.runtime_layer = lambda_.LayerVersion(
            self,
            "RuntimeLayer",
            code=lambda_.Code.from_asset(str(stage_runtime_layer(config))),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="agent_runtime package",
            removal_policy=config.removal_policy,
        )
        self.dependencies_layer = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            code=lambda_.Code.from_asset(str(dependencies_layer_dir(config))),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="locked third-party requirements (uv.lock) for manylinux2014_aarch64, CPython 3.12",
            removal_policy=config.removal_policy,
        )
        self.environment = {
            "TABLE_NAME": data.table.table_name,
            "BUCKET_NAME": bucket.bucket_name,
            "STATE_MACHINE_ARN": self.state_machine_arn,
            "EXPRESS_STATE_MACHINE_ARN": self.express_state_machine_arn,
            "AGENT_RUNTIME_WORKFLOW_MODULES": ",".join(config.workflow_modules),
            "ARTIFACT_URL_TTL_SECONDS": str(config.artifact_url_expiry_seconds),
            # The log level is Lambda's application log level (logging_format below), not a variable.
            "SERVICE_NAME": service_name(config),
            "METRICS_NAMESPACE": METRICS_NAMESPACE,
            "WEBHOOK_QUEUE_URL": queues.queue.queue_url,
            "WEBHOOK_DLQ_URL": queues.dead_letters.queue_url,
        }
        if config.default_model is not None:
            self.environment["AGENT_RUNTIME_MODEL"] = config.default_model
        if config.artifact_retention_days is not None:
            # The bucket deletes older artifacts: the API answers 404 for them instead of a dead URL.
            self.environment["ARTIFACT_RETENTION_DAYS"] = str(config.artifact_retention_days)
        table_resources = [
            data.table.table_arn,
            *(f"{data.table.table_arn}/index/{index}" for index in data.index_names),
        ]
        queue_resources = [queues.queue.queue_arn, queues.dead_letters.queue_arn]
        assert data.table.table_stream_arn is not None
        self.inputs = FunctionInputs(
            config=config,
            code_dir=stage_function_code(),
            layers=(self.dependencies_layer, self.runtime_layer),
            environment=self.environment,
            resources={
                "table": table_resources,
                "table-only": table_resources[:1],
                "objects": [bucket.arn_for_objects(f"{prefix}*") for prefix in OBJECT_PREFIXES],
                # Runs start on either machine (engine/orchestration.py runs_on_express).
                "state-machine": [self.state_machine_arn, self.express_state_machine_arn],
                "executions": [self.executions_arn],
                "queues": queue_resources,
                "queue": queue_resources[:1],
                "stream": [data.table.table_stream_arn],
                "models": model_arns(stack, config.model_ids),
                "*": ["*"],
            },
        )
        factory = FunctionFactory(self, self.inputs)
        self.functions: dict[str, DeployedFunction] = {spec.name: factory.function(spec) for spec in specs}


# Bedrock's cross-region inference profiles: an id with one of these prefixes names a profile that
# routes to the model (the id without it) in the regions of its geography.
INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "global.")


def model_arns(stack: Stack, model_ids: tuple[str, ...]) -> list[str]:
    """What bedrock:InvokeModel* must name to call each model id: a foundation model in the stack's region;
    an inference profile in the stack's account and region, and its model in every region it may route
    to (the Bedrock user guide's policy for cross-region inference)."""
    arns: list[str] = []
    for model_id in model_ids:
        prefix = next((p for p in INFERENCE_PROFILE_PREFIXES if model_id.startswith(p)), None)
        if prefix is None:
            arns.append(f"arn:{stack.partition}:bedrock:{stack.region}::foundation-model/{model_id}")
            continue
        arns.append(
            stack.format_arn(
                service="bedrock",
                resource="inference-profile",
                resource_name=model_id,
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
        )
        arns.append(f"arn:{stack.partition}:bedrock:*::foundation-model/{model_id[len(prefix) :]}")
    return arns


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))

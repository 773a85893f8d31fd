"""The stack's settings, read from CDK context (defaults in infra/cdk.json, overrides with `-c key=value`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays
from constructs import Node

INFRA_DIR = Path(__file__).resolve().parent
REPO_ROOT = INFRA_DIR.parent
CDK_JSON = INFRA_DIR / "cdk.json"

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_STATE_MACHINE_LOG_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
_REMOVAL_POLICIES = {"retain": RemovalPolicy.RETAIN, "destroy": RemovalPolicy.DESTROY}
# The retention periods CloudWatch Logs accepts, by the name of aws_logs.RetentionDays.
RETENTION_DAYS = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1827: "FIVE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip


def default_context() -> dict[str, Any]:
    """The context in infra/cdk.json: the defaults both `make synth` and the CDK CLI start from."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def _bool(value: Any) -> bool:
    # `-c tracing=false` arrives as the string "false".
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = json.loads(value) if value.strip().startswith("[") else value.split(",")
    return tuple(str(item).strip() for item in value if str(item).strip())


def _dict(value: Any) -> dict[str, int]:
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    return {str(key): int(mb) for key, mb in dict(value).items()}


def _optional(value: Any) -> Any:
    # null in cdk.json, or `-c key=` / `-c key=none` from the CLI: the setting is off.
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "null")):
        return None
    return value


# Context keys that no longer exist, with what replaced them: refused rather than silently ignored.
_REMOVED_KEYS = {
    "payloadExpiryDays": "payloads now live as long as the run that points to them (no S3 expiry)",
    "artifactExpiryDays": "use artifactRetentionDays (default: artifacts are kept)",
}


@dataclass(frozen=True)
class StackConfig:
    stage: str = "dev"
    workflow_modules: tuple[str, ...] = ()
    # Directories (relative to the repository) copied into the runtime layer so workflow_modules import.
    workflow_paths: tuple[str, ...] = ()
    log_level: str = "INFO"
    artifact_url_expiry_seconds: int = 900
    memory_overrides: dict[str, int] = field(default_factory=dict)
    removal_policy_name: str = "retain"
    deletion_protection: bool = True
    tracing: bool = True
    state_machine_log_level: str = "ALL"
    log_retention_days: int = 30
    # None: artifacts are kept until deleted. Set, the bucket expires artifacts/ after this many days
    # and the functions get ARTIFACT_RETENTION_DAYS to stop serving older ones.
    artifact_retention_days: int | None = None
    access_log_expiry_days: int = 90
    throttling_rate_limit: int = 50
    throttling_burst_limit: int = 100
    alarms: bool = True
    # Set: an SNS topic with this address subscribed, the action of every alarm.
    alarm_email: str | None = None
    dependencies_layer_dir: str = "build/lambda/dependencies"
    # Bedrock model ids (or cross-region inference profile ids) the step worker may call; none: no
    # Bedrock permission at all. default_model: the functions' AGENT_RUNTIME_MODEL (agent_runtime/models).
    model_ids: tuple[str, ...] = ()
    default_model: str | None = None
    # Each function's reserved concurrency from the manifest (functions/manifest.py reserved_concurrency):
    # 657 of the account's executions. Off for accounts with a lower limit (Lambda keeps 100 unreserved).
    reserved_concurrency: bool = True

    @property
    def removal_policy(self) -> RemovalPolicy:
        return _REMOVAL_POLICIES[self.removal_policy_name]

    @property
    def log_retention(self) -> RetentionDays:
        return RetentionDays[RETENTION_DAYS[self.log_retention_days]]

    @property
    def state_machine_name(self) -> str:
        # Fixed, so functions can be given the state machine's ARN without referencing the state
        # machine (which references the step worker: a cycle otherwise).
        return f"agent-runtime-{self.stage}-run"

    @property
    def express_state_machine_name(self) -> str:
        """The same run state machine as EXPRESS, for runs that can't wait for a human."""
        return f"{self.state_machine_name}-express"

    @property
    def stack_name(self) -> str:
        return f"AgentRuntime-{self.stage}"

    def validate(self) -> StackConfig:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,19}", self.stage):
            raise ValueError(f"stage {self.stage!r}: use 1-20 lowercase letters, digits and dashes")
        if self.log_level not in _LOG_LEVELS:
            raise ValueError(f"logLevel {self.log_level!r}: one of {_LOG_LEVELS}")
        if self.state_machine_log_level not in _STATE_MACHINE_LOG_LEVELS:
            raise ValueError(
                f"stateMachineLogLevel {self.state_machine_log_level!r}: one of {_STATE_MACHINE_LOG_LEVELS}"
            )
        if self.removal_policy_name not in _REMOVAL_POLICIES:
            raise ValueError(
                f"removalPolicy {self.removal_policy_name!r}: one of {sorted(_REMOVAL_POLICIES)}"
            )
        if not 1 <= self.artifact_url_expiry_seconds <= 7 * 24 * 3600:
            raise ValueError("artifactUrlExpirySeconds: 1 s to 7 days (the pre-signed URL maximum)")
        if self.log_retention_days not in RETENTION_DAYS:
            raise ValueError(f"logRetentionDays {self.log_retention_days}: one of {sorted(RETENTION_DAYS)}")
        for name, mb in self.memory_overrides.items():
            if not 128 <= mb <= 10240:
                raise ValueError(f"memoryOverrides[{name!r}] = {mb}: Lambda allows 128-10240 MB")
        if self.artifact_retention_days is not None and self.artifact_retention_days < 1:
            raise ValueError(
                f"artifactRetentionDays {self.artifact_retention_days}: at least 1 (leave it unset to keep "
                "artifacts)"
            )
        for model_id in self.model_ids:
            if not re.fullmatch(r"[a-z0-9][a-z0-9.:_-]{2,127}", model_id):
                raise ValueError(f"modelIds: {model_id!r} is not a Bedrock model or inference profile id")
        if self.default_model is not None:
            provider, _, model = self.default_model.partition(":")
            if provider not in ("scripted", "bedrock", "openai") or (provider != "scripted" and not model):
                raise ValueError(
                    f"defaultModel {self.default_model!r}: scripted, bedrock:<model id> or openai:<model>"
                )
            if provider == "bedrock" and model not in self.model_ids:
                raise ValueError(
                    f"defaultModel {self.default_model!r}: add {model!r} to modelIds (its IAM grant)"
                )
        if self.alarm_email is not None:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.alarm_email):
                raise ValueError(f"alarmEmail {self.alarm_email!r}: not an email address")
            if not self.alarms:
                raise ValueError("alarmEmail needs alarms=true: with no alarms nothing would notify it")
        return self

    @classmethod
    def from_node(cls, node: Node) -> StackConfig:
        def get(key: str, default: Any) -> Any:
            value = node.try_get_context(key)
            return default if value is None else value

        for key, replacement in _REMOVED_KEYS.items():
            if node.try_get_context(key) is not None:
                raise ValueError(f"context {key} was removed: {replacement}")
        base = cls()
        retention = _optional(node.try_get_context("artifactRetentionDays"))
        email = _optional(node.try_get_context("alarmEmail"))
        default_model = _optional(node.try_get_context("defaultModel"))
        return cls(
            stage=str(get("stage", base.stage)),
            workflow_modules=_list(get("workflowModules", [])),
            workflow_paths=_list(get("workflowPaths", [])),
            log_level=str(get("logLevel", base.log_level)).upper(),
            artifact_url_expiry_seconds=int(
                get("artifactUrlExpirySeconds", base.artifact_url_expiry_seconds)
            ),
            memory_overrides=_dict(get("memoryOverrides", {})),
            removal_policy_name=str(get("removalPolicy", base.removal_policy_name)).lower(),
            deletion_protection=_bool(get("deletionProtection", base.deletion_protection)),
            tracing=_bool(get("tracing", base.tracing)),
            state_machine_log_level=str(get("stateMachineLogLevel", base.state_machine_log_level)).upper(),
            log_retention_days=int(get("logRetentionDays", base.log_retention_days)),
            artifact_retention_days=None if retention is None else int(retention),
            access_log_expiry_days=int(get("accessLogExpiryDays", base.access_log_expiry_days)),
            throttling_rate_limit=int(get("throttlingRateLimit", base.throttling_rate_limit)),
            throttling_burst_limit=int(get("throttlingBurstLimit", base.throttling_burst_limit)),
            alarms=_bool(get("alarms", base.alarms)),
            alarm_email=None if email is None else str(email).strip(),
            dependencies_layer_dir=str(get("dependenciesLayerDir", base.dependencies_layer_dir)),
            model_ids=_list(get("modelIds", [])),
            default_model=None if default_model is None else str(default_model).strip(),
            reserved_concurrency=_bool(get("reservedConcurrency", base.reserved_concurrency)),
        ).validate()

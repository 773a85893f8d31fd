"""Typed models of the API's resources, as openapi/agent-runtime.yaml describes them.

Every model keeps members it does not know (`extra="allow"`), so a server that adds a field never
breaks an older client; `tests/sdk/test_models.py` holds their fields to the spec's components.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["queued", "running", "waiting_for_input", "succeeded", "failed", "cancelled", "timed_out"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "timed_out"})
CheckpointType = Literal["approval", "input"]
CheckpointStatus = Literal["pending", "resolved", "expired", "cancelled"]
OnTimeout = Literal["fail", "continue"]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


# -- runs and events -------------------------------------------------------------------------------
class WorkflowRef(Model):
    name: str
    version: str


class RunError(Model):
    type: str
    message: str


class ModelUsage(Model):
    """One model's calls and tokens in a run's usage, and their price (None: the model is not priced)."""

    calls: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    estimated_cost_usd: float | None


class RunUsage(Model):
    """What a run used so far (its state transitions, worker invocations, DynamoDB units, bytes, events)."""

    transitions: int
    lambda_invocations: int
    lambda_gb_seconds: float
    write_units: int
    read_units: int
    bytes_stored: int
    events: int
    express_executions: int
    models: dict[str, ModelUsage] = Field(default_factory=dict)  # per model id ("bedrock:<id>", ...)


class UsageSummary(Model):
    """`GET /v1/usage`: the tenant's runs created in a window, their usage summed and priced."""

    from_: datetime = Field(alias="from")
    to: datetime
    workflow: str | None = None
    runs: int
    usage: RunUsage
    estimated_cost_usd: float
    prices_as_of: date
    truncated: bool
    next_cursor: str | None = None


class Run(Model):
    run_id: str
    status: RunStatus
    workflow: WorkflowRef
    schema_hash: str
    input: Any = None
    output: Any = None
    error: RunError | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    callback_url: str | None = None
    created_at: datetime
    updated_at: datetime
    usage: RunUsage | None = None
    estimated_cost_usd: float | None = None  # the usage at the server's dated list prices (docs/cost.md)

    @property
    def terminal(self) -> bool:
        """Succeeded, failed, cancelled or timed out: the run never changes again."""
        return self.status in TERMINAL_STATUSES


class RunPage(Model):
    data: list[Run]
    next_cursor: str | None = None


class Event(Model):
    id: int
    run_id: str
    type: str
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class EventPage(Model):
    data: list[Event]
    next_cursor: str | None = None


# -- workflows -------------------------------------------------------------------------------------
class CheckpointKind(Model):
    type: CheckpointType
    description: str = ""
    payload: dict[str, Any] = Field(default_factory=dict)
    response: dict[str, Any] = Field(default_factory=dict)
    on_timeout: OnTimeout = "fail"


class WorkflowSummary(Model):
    name: str
    description: str
    latest_version: str
    versions: list[str]
    checkpoints: dict[str, CheckpointKind] = Field(default_factory=dict)


class WorkflowList(Model):
    data: list[WorkflowSummary]


class WorkflowVersion(Model):
    version: str
    schema_hash: str
    steps: list[str]
    checkpoints: dict[str, CheckpointKind] = Field(default_factory=dict)


class WorkflowDetail(Model):
    name: str
    description: str
    latest_version: str
    versions: list[WorkflowVersion]


class WorkflowSchemas(Model):
    name: str
    version: str
    schema_hash: str
    input: dict[str, Any]
    output: dict[str, Any]
    config: dict[str, Any]
    checkpoints: dict[str, CheckpointKind] = Field(default_factory=dict)


# -- checkpoints -----------------------------------------------------------------------------------
class ApprovedResolution(Model):
    decision: Literal["approved"]
    comment: str | None = None
    by: str | None = None
    at: datetime
    via: Literal["api", "console", "acp", "a2a"] | None = None  # where the answer came from


class RejectedResolution(Model):
    decision: Literal["rejected"]
    reason: str | None = None
    by: str | None = None
    at: datetime
    via: Literal["api", "console", "acp", "a2a"] | None = None  # where the answer came from


class SubmittedResolution(Model):
    decision: Literal["submitted"]
    data: dict[str, Any]
    by: str | None = None
    at: datetime
    via: Literal["api", "console", "acp", "a2a"] | None = None  # where the answer came from


class ExpiredResolution(Model):
    decision: Literal["expired"]
    data: dict[str, Any] | None = None
    at: datetime


CheckpointResolution = Annotated[
    ApprovedResolution | RejectedResolution | SubmittedResolution | ExpiredResolution,
    Field(discriminator="decision"),
]


class Checkpoint(Model):
    checkpoint_id: str
    run_id: str
    name: str
    type: CheckpointType
    status: CheckpointStatus
    prompt: str
    payload: Any = None
    response_schema: dict[str, Any] = Field(default_factory=dict)
    assignee: str | None = None
    timeout_seconds: int | None = None
    expires_at: datetime | None = None
    workflow: WorkflowRef
    created_at: datetime
    resolved_at: datetime | None = None
    resolution: CheckpointResolution | None = None


class CheckpointPage(Model):
    data: list[Checkpoint]
    next_cursor: str | None = None


# -- artifacts -------------------------------------------------------------------------------------
class Artifact(Model):
    artifact_id: str
    run_id: str
    name: str
    content_type: str
    size: int
    sha256: str
    step: str
    created_at: datetime


class ArtifactWithDownload(Artifact):
    download_url: str
    expires_at: datetime


class ArtifactList(Model):
    data: list[Artifact]


# -- webhooks --------------------------------------------------------------------------------------
class DeliveryAttempt(Model):
    attempt: int
    attempted_at: datetime
    status_code: int | None = None
    error: str | None = None
    duration_ms: int
    response_excerpt: str | None = None
    next_retry_at: datetime | None = None


class Delivery(Model):
    delivery_id: str
    run_id: str
    event_id: int
    event_type: str
    url: str
    status: DeliveryStatus
    attempt_count: int
    attempts: list[DeliveryAttempt]
    next_retry_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(Model):
    data: list[Delivery]
    next_cursor: str | None = None


class WebhookSecret(Model):
    secret: str
    rotated_at: datetime
    previous_secret_expires_at: datetime | None = None


class WebhookData(Model):
    run: Run
    checkpoint: Checkpoint | None = None
    artifact: Artifact | None = None


class WebhookEvent(Model):
    """The body of a v1 webhook delivery (verified by `webhooks.verify`)."""

    type: str
    event_id: int
    run_id: str
    occurred_at: datetime
    data: WebhookData


# -- errors ----------------------------------------------------------------------------------------
class FieldError(Model):
    field: str
    message: str
    type: str | None = None


class Problem(Model):
    """An RFC 9457 problem, as every error response carries it."""

    type: str = "about:blank"
    title: str = ""
    status: int = 0
    detail: str = ""
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
    status_now: str | None = None  # 409s for an action the status forbids: the run's or checkpoint's
    checkpoint: Checkpoint | None = None  # 409s for answering a checkpoint that is no longer pending
    schema_hash: str | None = None  # 409s for a stale schema_hash: the current one

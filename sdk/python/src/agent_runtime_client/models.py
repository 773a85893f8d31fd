"""Typed models of the API's resources, as openapi/agent-runtime.yaml describes them.

Every model keeps members it does not know (`extra="allow"`), so a server that adds a field never
breaks an older client; `tests/sdk/test_surface.py` holds their fields to the spec's components.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    with_config,
)
from typing_extensions import TypedDict  # pydantic needs its TypedDict before Python 3.12

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
    operations: int = 0  # durable operations started (steps, waits, callbacks, invokes, contexts)
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


class RunBudget(Model):
    """A run's model budget: past it, the run pauses on a `budget` checkpoint for a person to raise it."""

    max_cost_usd: float | None = None
    max_tokens: int | None = None


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
    parent_run_id: str | None = None  # the run that started this one with `context.invoke`, if any
    budget: RunBudget | None = None
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
    """One event of a run. Streams and pages give the subclass of its type (`AnyEvent`), whose `data`
    is typed; a workflow's own events are `CustomEvent`s."""

    id: int
    run_id: str
    type: str
    data: Mapping[str, Any] = Field(default_factory=dict)
    created_at: datetime


# The runtime's own events' data, as the spec's Event describes it: plain dicts at run time (keys the
# server adds are kept), typed for checkers.
@with_config(ConfigDict(extra="allow"))
class WorkflowRefData(TypedDict):
    name: str
    version: str


@with_config(ConfigDict(extra="allow"))
class RunCreatedData(TypedDict, total=False):
    workflow: WorkflowRefData


@with_config(ConfigDict(extra="allow"))
class RunErrorData(TypedDict):
    type: str
    message: str


@with_config(ConfigDict(extra="allow"))
class RunSucceededData(TypedDict, total=False):
    output: Any


@with_config(ConfigDict(extra="allow"))
class RunFailedData(TypedDict, total=False):
    error: RunErrorData


@with_config(ConfigDict(extra="allow"))
class StepData(TypedDict, total=False):
    step: str
    index: int
    error: Any


@with_config(ConfigDict(extra="allow"))
class CheckpointCreatedData(TypedDict, total=False):
    checkpoint_id: str
    name: str
    type: CheckpointType
    prompt: str
    assignee: str | None
    expires_at: str | None


@with_config(ConfigDict(extra="allow"))
class CheckpointResolvedData(TypedDict, total=False):
    checkpoint_id: str
    name: str
    decision: str
    by: str | None
    comment: str | None
    reason: str | None
    at: str


@with_config(ConfigDict(extra="allow"))
class CheckpointExpiredData(TypedDict, total=False):
    checkpoint_id: str
    name: str
    at: str
    on_timeout: OnTimeout


@with_config(ConfigDict(extra="allow"))
class CheckpointCancelledData(TypedDict, total=False):
    checkpoint_id: str


@with_config(ConfigDict(extra="allow"))
class CheckpointAssignedData(TypedDict, total=False):
    checkpoint_id: str
    name: str
    assignee: str | None
    previous: str | None
    by: str | None
    at: str
    via: str


@with_config(ConfigDict(extra="allow"))
class ArtifactCreatedData(TypedDict, total=False):
    artifact_id: str
    run_id: str
    name: str
    content_type: str
    size: int
    sha256: str
    step: str
    created_at: str


class RunCreated(Event):
    type: Literal["run.created"]
    data: RunCreatedData


class RunStarted(Event):
    type: Literal["run.started"]


class RunSucceeded(Event):
    type: Literal["run.succeeded"]
    data: RunSucceededData


class RunFailed(Event):
    type: Literal["run.failed", "run.timed_out"]
    data: RunFailedData


class RunCancelled(Event):
    type: Literal["run.cancelled"]


class StepEvent(Event):
    type: Literal["step.started", "step.completed", "step.failed"]
    data: StepData


class CheckpointCreated(Event):
    type: Literal["checkpoint.created"]
    data: CheckpointCreatedData


class CheckpointResolved(Event):
    type: Literal["checkpoint.resolved"]
    data: CheckpointResolvedData


class CheckpointExpired(Event):
    type: Literal["checkpoint.expired"]
    data: CheckpointExpiredData


class CheckpointCancelled(Event):
    type: Literal["checkpoint.cancelled"]
    data: CheckpointCancelledData


class CheckpointAssigned(Event):
    type: Literal["checkpoint.assigned"]
    data: CheckpointAssignedData


class ArtifactCreated(Event):
    type: Literal["artifact.created"]
    data: ArtifactCreatedData


class CustomEvent(Event):
    """An event a workflow emitted (`ctx.emit`), or a type this client doesn't know yet."""


_EVENT_CLASSES: dict[str, type[Event]] = {
    kind: cls
    for cls in (
        RunCreated,
        RunStarted,
        RunSucceeded,
        RunFailed,
        RunCancelled,
        StepEvent,
        CheckpointCreated,
        CheckpointResolved,
        CheckpointExpired,
        CheckpointCancelled,
        CheckpointAssigned,
        ArtifactCreated,
    )
    for kind in get_args(cls.model_fields["type"].annotation)
}


def _event_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return _EVENT_CLASSES[kind].__name__ if kind in _EVENT_CLASSES else "CustomEvent"


AnyEvent = Annotated[
    Annotated[RunCreated, Tag("RunCreated")]
    | Annotated[RunStarted, Tag("RunStarted")]
    | Annotated[RunSucceeded, Tag("RunSucceeded")]
    | Annotated[RunFailed, Tag("RunFailed")]
    | Annotated[RunCancelled, Tag("RunCancelled")]
    | Annotated[StepEvent, Tag("StepEvent")]
    | Annotated[CheckpointCreated, Tag("CheckpointCreated")]
    | Annotated[CheckpointResolved, Tag("CheckpointResolved")]
    | Annotated[CheckpointExpired, Tag("CheckpointExpired")]
    | Annotated[CheckpointCancelled, Tag("CheckpointCancelled")]
    | Annotated[CheckpointAssigned, Tag("CheckpointAssigned")]
    | Annotated[ArtifactCreated, Tag("ArtifactCreated")]
    | Annotated[CustomEvent, Tag("CustomEvent")],
    Discriminator(_event_tag),
]
"""Any event, as the subclass of its `type` (isinstance or `match` on it); see `parse_event`."""

_ANY_EVENT: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def parse_event(data: str | bytes | Mapping[str, Any]) -> AnyEvent:
    """An event (JSON or a dict) as the subclass of its type; one whose data doesn't have the shape
    this client knows for its type is a `CustomEvent` rather than an error, so a stream never stops
    on a server that changed an event."""
    value = json.loads(data) if isinstance(data, str | bytes) else data
    try:
        return _ANY_EVENT.validate_python(value)
    except ValidationError:
        return CustomEvent.model_validate(value)


class EventPage(Model):
    data: list[AnyEvent]

    @field_validator("data", mode="before")
    @classmethod
    def _typed(cls, value: Any) -> Any:
        return [parse_event(item) for item in value] if isinstance(value, list) else value

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
    via: Literal["api", "console", "acp", "a2a", "mcp"] | None = None  # where the answer came from


class RejectedResolution(Model):
    decision: Literal["rejected"]
    reason: str | None = None
    by: str | None = None
    at: datetime
    via: Literal["api", "console", "acp", "a2a", "mcp"] | None = None  # where the answer came from


class SubmittedResolution(Model):
    decision: Literal["submitted"]
    data: dict[str, Any]
    by: str | None = None
    at: datetime
    via: Literal["api", "console", "acp", "a2a", "mcp"] | None = None  # where the answer came from


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


class ArtifactPreview(Artifact):
    """What GET /v1/artifacts/{id}/preview can show of an artifact (the console's preview)."""

    kind: Literal["text", "markdown", "json", "image", "none"]
    text: str | None = None
    data_base64: str | None = None
    truncated: bool = False
    reason: str | None = None


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

"""The v1 API's request and response shapes (pydantic). openapi/agent-runtime.yaml describes the same."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agent_runtime.engine.runs import RunSpec

RunStatus = Literal["queued", "running", "waiting_for_input", "succeeded", "failed", "cancelled", "timed_out"]

METADATA_MAX_BYTES = 16 * 1024
# A2A's doors keys its runs by messageId under these prefixes (a2a/tasks.py) in the tenant's one
# idempotency namespace: a v1 key with one would be the A2A message's run.
RESERVED_KEY_PREFIXES = ("a2a:", "a2a-sha256:")


def idempotency_key(value: str | None) -> str | None:
    """The client's Idempotency-Key, refused (400 naming the header) if another door's prefix."""
    if value is not None and value.lower().startswith(RESERVED_KEY_PREFIXES):
        from agent_runtime.errors import BadRequest

        message = f"keys starting with {' or '.join(RESERVED_KEY_PREFIXES)} are A2A's"
        raise BadRequest(
            f"Idempotency-Key: {message}", errors=[{"field": "Idempotency-Key", "message": message}]
        )
    return value


NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkflowSelector(Strict):
    name: str = Field(pattern=NAME_PATTERN, description="Workflow name.")
    version: str | None = Field(
        default=None, max_length=64, description="Semantic version; latest if omitted."
    )


class RunBudget(Strict):
    """A run's model budget: before a model call that would go over it the run pauses on a `budget`
    checkpoint showing what it spent, for a person to raise it (or cancel the run)."""

    max_cost_usd: float | None = Field(default=None, gt=0, le=1_000_000)
    max_tokens: int | None = Field(default=None, gt=0, le=10**12)


class CreateRunRequest(Strict):
    workflow: WorkflowSelector
    input: Any = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=64)
    callback_url: str | None = Field(default=None, max_length=2048)
    schema_hash: str | None = Field(default=None, max_length=80)
    budget: RunBudget | None = None

    @field_validator("metadata")
    @classmethod
    def _metadata_is_small(cls, value: dict[str, Any]) -> dict[str, Any]:
        import json

        if len(json.dumps(value, ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
            raise ValueError(f"metadata must serialize to at most {METADATA_MAX_BYTES} bytes")
        return value

    def spec(self) -> RunSpec:
        return RunSpec(
            workflow_name=self.workflow.name,
            workflow_version=self.workflow.version,
            input=self.input,
            config=self.config,
            metadata=self.metadata,
            callback_url=self.callback_url,
            schema_hash=self.schema_hash,
            budget=self.budget.model_dump(exclude_none=True) if self.budget else None,
        )

    def as_sent(self) -> dict[str, Any]:
        """The request as the client sent it (what an Idempotency-Key is checked against)."""
        return self.model_dump(mode="json", exclude_unset=True)


class WorkflowRef(BaseModel):
    name: str
    version: str


class RunError(BaseModel):
    type: str
    message: str


class ModelUsage(BaseModel):
    """One model's calls and tokens (docs/cost.md), priced from engine/prices.py MODEL_PRICES."""

    calls: int = Field(description="Model calls made.")
    input_tokens: int = Field(description="Input tokens billed at the input price (not from the cache).")
    output_tokens: int = Field(description="Output tokens.")
    cached_tokens: int = Field(description="Input tokens read from the provider's prompt cache.")
    cache_write_tokens: int = Field(description="Input tokens written to the provider's prompt cache.")
    estimated_cost_usd: float | None = Field(
        description="These tokens at the model's list price; null when the price table lacks the model."
    )


class RunUsage(BaseModel):
    """What the run used so far (docs/cost.md): counted by its commits, priced when read."""

    transitions: int = Field(description="Step Functions state transitions.")
    lambda_invocations: int = Field(description="Worker invocations for its steps and checkpoints.")
    lambda_gb_seconds: float = Field(description="Their duration times configured memory.")
    write_units: int = Field(description="DynamoDB write request units.")
    read_units: int = Field(description="DynamoDB read request units of its commits.")
    bytes_stored: int = Field(description="Bytes of the items it added (events, checkpoints, the run).")
    events: int = Field(description="Events appended.")
    express_executions: int = Field(description="1 if it ran on the Express state machine, else 0.")
    operations: int = Field(default=0, description="Durable operations started.")
    models: dict[str, ModelUsage] = Field(
        default_factory=dict,
        description='Model calls per model id ("bedrock:<model id>", "openai:<model>", "scripted").',
    )


class Run(BaseModel):
    run_id: str
    status: RunStatus
    workflow: WorkflowRef
    schema_hash: str
    input: Any
    output: Any | None = None
    error: RunError | None = None
    config: dict[str, Any]
    metadata: dict[str, Any]
    callback_url: str | None = None
    parent_run_id: str | None = None
    budget: RunBudget | None = None
    created_at: str
    updated_at: str
    usage: RunUsage
    estimated_cost_usd: float = Field(
        description="The usage at the dated list prices of engine/prices.py (us-east-1), in USD."
    )


class UsageSummary(BaseModel):
    """GET /v1/usage: the usage of the tenant's runs created in [from, to), summed."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="Start of the window (inclusive), UTC.")
    to: str = Field(description="End of the window (exclusive), UTC.")
    workflow: str | None = None
    runs: int = Field(description="Runs summed in this response.")
    usage: RunUsage
    estimated_cost_usd: float
    prices_as_of: str = Field(description="The date of the price table the cost was computed with.")
    truncated: bool = Field(description="More runs are in the window: pass next_cursor for the rest.")
    next_cursor: str | None


class Event(BaseModel):
    id: int = Field(description="Gap-free sequence number of the event within its run; the SSE id.")
    run_id: str
    type: str
    data: dict[str, Any]
    created_at: str


class RunPage(BaseModel):
    data: list[Run]
    next_cursor: str | None


class EventPage(BaseModel):
    data: list[Event]
    next_cursor: str | None


class WorkflowSummary(BaseModel):
    name: str
    description: str
    latest_version: str
    versions: list[str]
    # The latest version's checkpoint kinds (what humans will be asked), by name, with their schemas.
    checkpoints: dict[str, Any]


class WorkflowList(BaseModel):
    data: list[WorkflowSummary]


class WorkflowVersion(BaseModel):
    version: str
    schema_hash: str
    steps: list[str]
    checkpoints: dict[str, Any]


class WorkflowDetail(BaseModel):
    name: str
    description: str
    latest_version: str
    versions: list[WorkflowVersion]


class WorkflowSchemas(BaseModel):
    name: str
    version: str
    schema_hash: str
    input: dict[str, Any]
    output: dict[str, Any]
    config: dict[str, Any]
    checkpoints: dict[str, Any]


class ApproveRequest(Strict):
    comment: str | None = Field(default=None, max_length=4000)


class RejectRequest(Strict):
    reason: str | None = Field(default=None, max_length=4000)


class AssignRequest(Strict):
    """Either `assignee` (a name, or null to unassign) or `claim: true` (the caller's principal)."""

    # No control characters: an assignee is shown in inboxes and logs.
    assignee: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"
    )
    claim: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> AssignRequest:
        # `assignee` must be given even to unassign: an empty body must not silently unassign.
        if ("assignee" in self.model_fields_set) == bool(self.claim):
            raise ValueError("give either assignee (a name, or null to unassign) or claim: true")
        return self


class InputRequest(Strict):
    data: dict[str, Any]


CHANNEL_HEADER = "X-Answer-Channel"


def channel(request: Any) -> str:
    """Where a v1 answer came from, for the audit: `console` when the approvals console sent it (it
    says so in X-Answer-Channel), else `api`. Informational: any client may send the header."""
    return "console" if (request.header(CHANNEL_HEADER) or "").lower() == "console" else "api"

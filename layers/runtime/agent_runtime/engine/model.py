"""What the engine hands its doors: runs, events, checkpoints, artifacts, deliveries and threads with
their stored JSON loaded. Plain dataclasses in the engine's own vocabulary; each door shapes them
into its protocol (v1/views.py, acp/views.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from agent_runtime.store.artifact_items import ArtifactRecord
from agent_runtime.store.checkpoint_items import CheckpointRecord
from agent_runtime.store.delivery_items import DeliveryRecord
from agent_runtime.store.event_items import EventRecord
from agent_runtime.store.payloads import Payloads
from agent_runtime.store.run_items import ACTIVE_STATUSES as ACTIVE_STATUSES
from agent_runtime.store.run_items import TERMINAL_STATUSES as TERMINAL_STATUSES
from agent_runtime.store.run_items import RunRecord
from agent_runtime.store.run_items import RunStatus as RunStatus
from agent_runtime.store.thread_items import ThreadRecord, ThreadState

# A run's statuses (engine/lifecycle.py moves a run between them), in their order as strings.
RUN_STATUSES = tuple(status.value for status in RunStatus)
CHECKPOINT_STATUSES = ("pending", "resolved", "expired", "cancelled")
ORIGIN = "origin"  # the key a stored resolution keeps a door's own copy of the answer under

Event = EventRecord
Artifact = ArtifactRecord
Delivery = DeliveryRecord


@dataclass(frozen=True)
class Run:
    run_id: str
    tenant_id: str
    status: str
    workflow_name: str
    workflow_version: str
    schema_hash: str
    input: Any
    output: Any
    error: dict[str, Any] | None
    config: Any
    metadata: dict[str, Any]
    callback_url: str | None
    created_at: str
    updated_at: str
    event_seq: int  # the id of its last event so far
    thread_id: str | None
    protocol: str  # the door that created it
    protocol_options: dict[str, Any]
    # What it used so far (store/usage_meter.py FIELDS); engine/usage.py prices it.
    usage: dict[str, int] = field(default_factory=dict)
    parent_run_id: str | None = None
    # Its model calls' tokens per model id (store/usage_meter.py MODEL_FIELDS).
    model_usage: dict[str, dict[str, int]] = field(default_factory=dict)
    budget: dict[str, Any] | None = None  # {"max_cost_usd", "max_tokens"} (engine/budgets.py)

    @classmethod
    def of(cls, record: RunRecord, payloads: Payloads) -> Run:
        return cls(
            run_id=record.run_id,
            tenant_id=record.tenant_id,
            status=record.status,
            workflow_name=record.workflow_name,
            workflow_version=record.workflow_version,
            schema_hash=record.schema_hash,
            input=payloads.load(record.input),
            output=payloads.load(record.output),
            error=json.loads(record.error) if record.error else None,
            config=payloads.load(record.config),
            metadata=json.loads(record.metadata),
            callback_url=record.callback_url,
            created_at=record.created_at,
            updated_at=record.updated_at,
            event_seq=record.event_seq,
            thread_id=record.thread_id,
            protocol=record.protocol,
            protocol_options=json.loads(record.protocol_options),
            usage=record.usage(),
            parent_run_id=record.parent_run_id,
            budget=json.loads(record.budget) if record.budget else None,
            model_usage=record.model_usage(),
        )

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def settled(self) -> bool:
        """Nothing more happens without someone: it ended, or it waits for a human."""
        return self.terminal or self.status == RunStatus.WAITING_FOR_INPUT


@dataclass(frozen=True)
class RunProgress:
    """How far a run is, as a poll read it (cheap: no payloads loaded)."""

    run_id: str
    status: str
    event_seq: int

    @property
    def settled(self) -> bool:
        return self.status in TERMINAL_STATUSES or self.status == RunStatus.WAITING_FOR_INPUT


@dataclass(frozen=True)
class Checkpoint:
    checkpoint_id: str
    run_id: str
    tenant_id: str
    name: str
    type: str  # approval | input
    status: str  # pending | resolved | expired | cancelled
    prompt: str
    payload: Any
    response_schema: dict[str, Any]
    assignee: str | None
    timeout_seconds: int | None
    expires_at: str | None
    workflow_name: str
    workflow_version: str
    created_at: str
    resolved_at: str | None
    resolution: dict[str, Any] | None
    origin: dict[str, Any] | None = None  # the answer as the door that took it received it

    @classmethod
    def of(cls, record: CheckpointRecord, payloads: Payloads) -> Checkpoint:
        loaded = payloads.load(record.resolution) if record.resolution else None
        resolution = {k: v for k, v in loaded.items() if k != ORIGIN} if isinstance(loaded, dict) else loaded
        origin = loaded.get(ORIGIN) if isinstance(loaded, dict) else None
        return cls(
            checkpoint_id=record.checkpoint_id,
            run_id=record.run_id,
            tenant_id=record.tenant_id,
            name=record.name,
            type=record.type,
            status=record.status,
            prompt=record.prompt,
            payload=payloads.load(record.payload),
            response_schema=json.loads(record.response_schema),
            assignee=record.assignee,
            timeout_seconds=record.timeout_seconds,
            expires_at=record.expires_at,
            workflow_name=record.workflow_name,
            workflow_version=record.workflow_version,
            created_at=record.created_at,
            resolved_at=record.resolved_at,
            resolution=resolution,
            origin=origin,
        )


@dataclass(frozen=True)
class ArtifactDownload:
    artifact: Artifact
    url: str
    expires_at: str


@dataclass(frozen=True)
class Thread:
    thread_id: str
    tenant_id: str
    metadata: dict[str, Any]
    values: Any
    messages: Any
    created_at: str
    updated_at: str
    current_run_id: str | None
    # The status of its current run (None when it has none, or that run was deleted).
    current_run_status: str | None

    @classmethod
    def of(cls, record: ThreadRecord, payloads: Payloads, current_run_status: str | None) -> Thread:
        return cls(
            thread_id=record.thread_id,
            tenant_id=record.tenant_id,
            metadata=json.loads(record.metadata),
            values=payloads.load(record.values),
            messages=payloads.load(record.messages),
            created_at=record.created_at,
            updated_at=record.updated_at,
            current_run_id=record.current_run_id,
            current_run_status=current_run_status,
        )


@dataclass(frozen=True)
class ThreadSnapshot:
    """One state in a thread's history."""

    checkpoint_id: str
    values: Any
    messages: Any
    metadata: dict[str, Any]
    created_at: str

    @classmethod
    def of(cls, state: ThreadState, payloads: Payloads) -> ThreadSnapshot:
        return cls(
            state.checkpoint_id,
            payloads.load(state.values),
            payloads.load(state.messages),
            json.loads(state.metadata),
            state.created_at,
        )


@dataclass(frozen=True)
class Page:
    """A page of a listing and the cursor that goes on after it (None: the listing is done)."""

    data: list[Any]
    next_cursor: str | None


# The status each event leaves its run in (None: the status it had, e.g. the terminal one a
# checkpoint.cancelled shares its commit with): a webhook shows the run as of its event, not as of the
# delivery, which may come after the run moved on.
STATUS_AFTER: dict[str, str] = {
    "run.created": RunStatus.QUEUED,
    "run.started": RunStatus.RUNNING,
    "checkpoint.created": RunStatus.WAITING_FOR_INPUT,
    "checkpoint.resolved": RunStatus.RUNNING,
    "artifact.created": RunStatus.RUNNING,
    "run.succeeded": RunStatus.SUCCEEDED,
    "run.failed": RunStatus.FAILED,
    "run.cancelled": RunStatus.CANCELLED,
    "run.timed_out": RunStatus.TIMED_OUT,
}


def run_as_of(run: Run, event: Event) -> Run:
    """`run` as `event` left it: its status then, `updated_at` the event's time, an output or error
    only once it has one."""
    status: str | None = STATUS_AFTER.get(event.type)
    if event.type == "checkpoint.expired":
        status = RunStatus.RUNNING if event.data.get("on_timeout") == "continue" else RunStatus.TIMED_OUT
    status = status or run.status
    return replace(
        run,
        status=status,
        updated_at=event.created_at,
        output=run.output if status == RunStatus.SUCCEEDED else None,
        error=run.error if status in TERMINAL_STATUSES - {RunStatus.SUCCEEDED} else None,
    )

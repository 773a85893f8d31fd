"""Reading and answering human checkpoints. An answer applies exactly once: a transaction moves the
checkpoint from pending to resolved and the run back to running; only then is the execution resumed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_runtime import orchestration
from agent_runtime.clock import now_iso
from agent_runtime.errors import BadRequest, Conflict, TransientAwsError, ValidationFailed
from agent_runtime.models import ACTIVE_STATUSES
from agent_runtime.runtime import budget
from agent_runtime.runtime.validation import field_errors
from agent_runtime.store import checkpoints as checkpoint_store
from agent_runtime.store import runs as run_store
from agent_runtime.store.checkpoints import CheckpointRecord
from agent_runtime.store.runs import GuardFailed, ItemConditionFailed, NewEvent, RunRecord
from agent_runtime.workflows.registry import registry

# Each try loses only to a concurrent change of the run (an event, a checkpoint); these are rare.
END_ATTEMPTS = 20

Action = Literal["approve", "reject", "input"]
CHECKPOINT_STATUSES = ("pending", "resolved", "expired", "cancelled")


class ApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(default=None, max_length=4000)


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=4000)


class InputRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data: dict[str, Any]


def list_for_run(tenant_id: str, run_id: str, cursor: str | None) -> dict[str, Any]:
    """The run's checkpoints, oldest first, as many as one response holds; `cursor` (the last
    checkpoint id of the previous page) goes on after it."""
    run_store.get(run_id, tenant_id)
    records = checkpoint_store.list_for_run(run_id)
    if cursor:
        ids = [r.checkpoint_id for r in records]
        if cursor not in ids:
            raise BadRequest(
                "cursor is not valid", errors=[{"field": "cursor", "message": "not a cursor this API issued"}]
            )
        records = records[ids.index(cursor) + 1 :]
    shown = budget.take(r.public() for r in records)
    more = len(shown) < len(records)
    return {"data": shown, "next_cursor": records[len(shown) - 1].checkpoint_id if more else None}


def get(tenant_id: str, run_id: str, checkpoint_id: str) -> dict[str, Any]:
    run_store.get(run_id, tenant_id)
    return checkpoint_store.get(run_id, checkpoint_id).public()


def inbox(
    tenant_id: str, status: str, assignee: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    records, next_cursor = checkpoint_store.inbox(tenant_id, status, assignee, limit, cursor)
    shown = budget.take(r.public() for r in records)
    if len(shown) < len(records):  # full before `limit`: go on after the last one shown
        next_cursor = checkpoint_store.inbox_cursor_after(records[len(shown) - 1])
    return {"data": shown, "next_cursor": next_cursor}


def _not_pending(record: CheckpointRecord) -> Conflict:
    return Conflict(
        f"checkpoint {record.checkpoint_id} is {record.status}, not pending",
        status_now=record.status,
        checkpoint=record.public(),
    )


def _resolution(
    record: CheckpointRecord, action: Action, body: BaseModel, principal: str | None
) -> dict[str, Any]:
    wanted = "input" if action == "input" else "approval"
    if record.type != wanted:
        verb = "input" if record.type == "input" else "approve or reject"
        raise Conflict(
            f"checkpoint {record.checkpoint_id} is an {record.type} checkpoint: {verb} it instead",
            status_now=record.status,
        )
    resolution: dict[str, Any] = {"by": principal, "at": now_iso()}
    if isinstance(body, ApproveRequest):
        resolution.update(decision="approved", comment=body.comment)
    elif isinstance(body, RejectRequest):
        resolution.update(decision="rejected", reason=body.reason)
    elif isinstance(body, InputRequest):
        kind = registry().get(record.workflow_name, record.workflow_version).checkpoints[record.name]
        if kind.response_model is not None:
            try:
                kind.response_model.model_validate(body.data)
            except ValidationError as error:
                raise ValidationFailed(
                    "data does not match the checkpoint's response schema", errors=field_errors(error, "data")
                ) from error
        resolution.update(decision="submitted", data=body.data)
    return resolution


def resolve(
    tenant_id: str, run_id: str, checkpoint_id: str, action: Action, body: BaseModel, principal: str | None
) -> dict[str, Any]:
    run_store.get(run_id, tenant_id)
    record = checkpoint_store.get(run_id, checkpoint_id)
    if record.status != "pending":
        raise _not_pending(record)
    resolution = _resolution(record, action, body, principal)
    event = {
        "checkpoint_id": checkpoint_id,
        "name": record.name,
        **{k: v for k, v in resolution.items() if k != "data"},
    }
    try:
        run_store.commit(
            run_id,
            events=[NewEvent("checkpoint.resolved", event)],
            updates={"status": "running"},
            expect_status={"waiting_for_input"},
            extra_items=[checkpoint_store.transition_item(record, "resolved", resolution["at"], resolution)],
        )
    except (GuardFailed, ItemConditionFailed) as lost:
        raise _not_pending(checkpoint_store.get(run_id, checkpoint_id)) from lost
    resolved = checkpoint_store.get(run_id, checkpoint_id)
    if resolved.task_token:  # else the AwaitHuman task has not stored it yet, and will resume by itself
        orchestration.resume(resolved.task_token)
    return resolved.public()


def end_run(
    run_id: str, events: list[NewEvent], updates: dict[str, Any]
) -> tuple[RunRecord, list[CheckpointRecord]]:
    """End an active run (cancelled, failed) and cancel its pending checkpoints, in one transaction.

    The commit is pinned to the run's version read before its checkpoints are listed: a checkpoint the
    worker raised in between moves the version, and the next try sees it, so no checkpoint is left
    pending on an ended run. Returns the run and the checkpoints cancelled; GuardFailed if the run
    is no longer active."""
    for _ in range(END_ATTEMPTS):
        current = run_store.get(run_id, None)
        if current.status not in ACTIVE_STATUSES:
            raise GuardFailed(current)
        pending = [c for c in checkpoint_store.list_for_run(run_id) if c.status == "pending"]
        now = now_iso()
        try:
            record = run_store.commit(
                run_id,
                events=[
                    *(NewEvent("checkpoint.cancelled", {"checkpoint_id": c.checkpoint_id}) for c in pending),
                    *events,
                ],
                updates=updates,
                expect={"version": current.version},
                expect_status=ACTIVE_STATUSES,
                extra_items=[checkpoint_store.transition_item(c, "cancelled", now, None) for c in pending],
            )
            return record, pending
        except GuardFailed as moved:
            if moved.current.status not in ACTIVE_STATUSES:
                raise
        except ItemConditionFailed:
            pass  # a checkpoint was answered meanwhile: look again
    raise TransientAwsError(f"could not end run {run_id}: contention")

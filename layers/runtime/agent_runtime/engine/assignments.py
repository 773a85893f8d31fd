"""Who a pending checkpoint waits on: claim it (assign it to yourself) or reassign it to someone else.

A change of assignee is one transaction: the checkpoint item's `assignee`, conditional on the checkpoint
still pending and still assigned as it was read, and a `checkpoint.assigned` event on the run (its
audit: from whom, to whom, by whom, when, through which channel). A refused change writes nothing.
Kept apart from checkpoints.py: it changes no run status and resumes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent_runtime.clock import now_iso
from agent_runtime.engine.model import ACTIVE_STATUSES, Checkpoint
from agent_runtime.errors import Conflict, ValidationFailed
from agent_runtime.store.checkpoint_items import PENDING, CheckpointRecord
from agent_runtime.store.errors import ChangedMeanwhile, EntryConditionFailed
from agent_runtime.store.event_items import NewEvent

if TYPE_CHECKING:
    from agent_runtime.engine.checkpoints import Checkpoints
    from agent_runtime.engine.runs import Runs
    from agent_runtime.store import Store


@dataclass(frozen=True)
class Claim:
    """Assign it to the caller; refused while someone else holds it (reassign takes it from them)."""


@dataclass(frozen=True)
class Reassign:
    assignee: str | None  # None: unassigned, back to everyone's inbox


Assignment = Claim | Reassign


class Assignments:
    def __init__(self, store: Store, runs: Runs, checkpoints: Checkpoints) -> None:
        self.store = store
        self.runs = runs
        self.checkpoints = checkpoints

    def assign(
        self,
        tenant_id: str,
        run_id: str,
        checkpoint_id: str,
        change: Assignment,
        principal: str | None,
        via: str = "api",
    ) -> Checkpoint:
        """Apply `change` to a pending checkpoint (409 with its state when it is not pending, or when a
        claim finds it held by someone else or it changed hands meanwhile)."""
        checkpoints = self.checkpoints
        self.runs.record(tenant_id, run_id)
        record = checkpoints.record(run_id, checkpoint_id)
        if isinstance(change, Claim):
            if not principal:
                raise ValidationFailed(
                    "this key has no principal to claim the checkpoint for: assign it by name instead",
                    errors=[{"field": "assignee", "message": "the caller has no principal"}],
                )
            if record.assignee not in (None, principal) and record.status == PENDING:
                raise self._held(record, checkpoints.view(record))
            assignee: str | None = principal
        else:
            assignee = change.assignee
        if record.status != PENDING:
            raise self._not_pending(record, checkpoints.view(record))
        if record.assignee == assignee:
            return checkpoints.view(record)  # already so: nothing to record
        event = {
            "checkpoint_id": checkpoint_id,
            "name": record.name,
            "assignee": assignee,
            "previous": record.assignee,
            "by": principal,
            "at": now_iso(),
            "via": via,
        }
        try:
            self.store.runs.commit(
                run_id,
                events=[NewEvent("checkpoint.assigned", event)],
                expect_status=ACTIVE_STATUSES,
                extra_entries=[self.store.checkpoints.assign_entry(record, assignee)],
            )
        except (ChangedMeanwhile, EntryConditionFailed) as lost:
            current = checkpoints.record(run_id, checkpoint_id)
            if current.status != PENDING:
                raise self._not_pending(current, checkpoints.view(current)) from lost
            now = current.assignee or "unassigned"
            raise Conflict(
                f"checkpoint {checkpoint_id} changed hands meanwhile (now {now})",
                status_now=current.status,
                checkpoint=checkpoints.view(current),
            ) from lost
        return checkpoints.view(checkpoints.record(run_id, checkpoint_id))

    @staticmethod
    def _not_pending(record: CheckpointRecord, view: Checkpoint) -> Conflict:
        return Conflict(
            f"checkpoint {record.checkpoint_id} is {record.status}, not pending: it can't be reassigned",
            status_now=record.status,
            checkpoint=view,
        )

    @staticmethod
    def _held(record: CheckpointRecord, view: Checkpoint) -> Conflict:
        return Conflict(
            f"checkpoint {record.checkpoint_id} is assigned to {record.assignee}: reassign it to take it",
            status_now=record.status,
            checkpoint=view,
        )

"""A human checkpoint's whole life, in the order it happens:

1. raised by a step (`raise_checkpoint`): the checkpoint item and `checkpoint.created` are committed
   with the run going `waiting_for_input`, and the step suspends;
2. the state machine's AwaitHuman task (`await_human`) stores its task token on the pending item;
3. a person answers (`answer`): pending -> resolved and the run -> running in one transaction, then
   the task token resumes the execution; or
4. its deadline passes (`expire`, the ExpireCheckpoint task): continue with the default or time out;
   or the run ends first (cancelled or failed: engine/lifecycle.py), which cancels it (`closing`).

The run's side of each (parked, resumed, timed out) is engine/lifecycle.py's. Each transition is a
conditional write from `pending`, so exactly one of them ever applies, and exactly one of the answerer
and AwaitHuman sends the task token (whichever comes second).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from agent_runtime import observability
from agent_runtime.clock import now_iso
from agent_runtime.engine import budget, usage
from agent_runtime.engine.model import ORIGIN, Checkpoint, Page, Run
from agent_runtime.engine.outcome import StepOutcome, outcome
from agent_runtime.engine.runs import invalid_cursor
from agent_runtime.errors import Conflict, NotFound, ValidationFailed, is_transient
from agent_runtime.store import usage_meter
from agent_runtime.store.checkpoint_items import PENDING, CheckpointItems, CheckpointRecord
from agent_runtime.store.errors import ChangedMeanwhile, EntryConditionFailed, InvalidCursor, ItemNotFound
from agent_runtime.store.event_items import NewEvent
from agent_runtime.store.run_items import RunRecord, RunStatus
from agent_runtime.validation import field_errors

if TYPE_CHECKING:
    from collections.abc import Callable

    from agent_runtime.clock import Clock
    from agent_runtime.engine.lifecycle import Lifecycle
    from agent_runtime.engine.orchestration import Orchestrator
    from agent_runtime.engine.runs import Runs
    from agent_runtime.store import Store
    from agent_runtime.store.usage_meter import Meter
    from agent_runtime.workflows.checkpoints import CheckpointRequest, Resolution
    from agent_runtime.workflows.registry import Registry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Approve:
    comment: str | None = None


@dataclass(frozen=True)
class Reject:
    reason: str | None = None


@dataclass(frozen=True)
class Submit:
    data: dict[str, Any]


Answer = Approve | Reject | Submit


def seconds_left(record: CheckpointRecord, now: datetime) -> int:
    if not record.expires_at:
        from agent_runtime.workflows.checkpoints import MAX_WAIT_SECONDS

        return MAX_WAIT_SECONDS
    left = datetime.fromisoformat(record.expires_at.replace("Z", "+00:00")) - now
    return max(1, int(left.total_seconds()))


def resolution_of(record: CheckpointRecord, loaded: Mapping[str, Any] | None) -> Resolution:
    values = loaded or {}
    # The workflow SDK's types are imported where used: API handlers that never raise or read a
    # checkpoint's resolution don't pay for building its pydantic models at cold start.
    from agent_runtime.workflows.checkpoints import Resolution

    return Resolution(
        checkpoint_id=record.checkpoint_id,
        decision=values.get("decision", "expired"),
        comment=values.get("comment"),
        reason=values.get("reason"),
        data=values.get("data"),
        by=values.get("by"),
        at=values.get("at"),
    )


def waited(record: CheckpointRecord, how: str) -> None:
    """The CheckpointWaitSeconds metric: how long the checkpoint waited until it was `how`."""
    created = datetime.fromisoformat(record.created_at.replace("Z", "+00:00"))
    seconds = max(0.0, (datetime.now(UTC) - created).total_seconds())
    observability.metric(
        observability.CHECKPOINT_WAIT_SECONDS, seconds, workflow=record.workflow_name, outcome=how
    )


class Aborter(Protocol):
    def abort(self, task_token: str, error: str, cause: str) -> None: ...


@dataclass(frozen=True)
class Closing:
    """A run's pending checkpoints, cancelled with the run that ends (engine/lifecycle.py `_end`): the
    events and entries its ending commits, and `done` after it committed."""

    pending: list[CheckpointRecord]
    events: list[NewEvent]
    entries: list[dict[str, Any]]

    def done(self, items: CheckpointItems, aborter: Aborter | None) -> None:
        """The wait metrics; with an `aborter` (a cancel), the parked waits are failed so nothing resumes."""
        for cancelled in self.pending:
            waited(cancelled, "cancelled")
        for cancelled in self.pending if aborter is not None else ():
            token = items.get(cancelled.run_id, cancelled.checkpoint_id).task_token
            if token and aborter is not None:  # else AwaitHuman will find it cancelled and fail the wait
                aborter.abort(token, "RunCancelled", "the run was cancelled")


def closing(items: CheckpointItems, run_id: str, now: str) -> Closing:
    pending = [c for c in items.list_for_run(run_id) if c.status == PENDING]
    return Closing(
        pending,
        [NewEvent("checkpoint.cancelled", {"checkpoint_id": c.checkpoint_id}) for c in pending],
        [items.transition_entry(c, "cancelled", now, None) for c in pending],
    )


class Checkpoints:
    def __init__(
        self,
        store: Store,
        runs: Runs,
        lifecycle: Lifecycle,
        orchestrator: Orchestrator,
        workflows: Registry,
        clock: Clock,
        meter: Meter | None = None,
    ) -> None:
        self.store = store
        self.clock = clock  # a checkpoint's deadline
        self.meter = meter  # a worker's invocation's: a checkpoint raised counts what follows it
        self.items = store.checkpoints
        self.runs = runs
        self.lifecycle = lifecycle
        self.orchestrator = orchestrator
        self.workflows = workflows

    # -- reading ---------------------------------------------------------------------------------
    def view(self, record: CheckpointRecord) -> Checkpoint:
        return Checkpoint.of(record, self.store.payloads)

    def record(self, run_id: str, checkpoint_id: str) -> CheckpointRecord:
        try:
            return self.items.get(run_id, checkpoint_id)
        except ItemNotFound as missing:
            raise NotFound(f"checkpoint {checkpoint_id!r} of run {run_id!r} does not exist") from missing

    def get(self, tenant_id: str, run_id: str, checkpoint_id: str) -> Checkpoint:
        self.runs.record(tenant_id, run_id)
        return self.view(self.record(run_id, checkpoint_id))

    def find(self, run_id: str, checkpoint_id: str) -> Checkpoint | None:
        record = self.items.find(run_id, checkpoint_id)
        return self.view(record) if record is not None else None

    def awaiting_answer(self, run: Run) -> Checkpoint | None:
        """The checkpoint a door's answer to `run` goes to: its pending one while the run waits, or while
        a durable run still runs (its code asked and went on: decision 67). A step workflow's run that
        runs has none pending."""
        if run.status not in (RunStatus.WAITING_FOR_INPUT, RunStatus.RUNNING):
            return None
        return self.pending(run.run_id)

    def answered_with(self, run_id: str, key: str, value: Any) -> Checkpoint | None:
        """The run's checkpoint answered by a request whose door-kept copy (`origin`) has `key` ==
        `value` (an A2A messageId): the same answer sent again is answered with what it did."""
        for record in self.items.list_for_run(run_id):
            if record.status != "resolved" or not record.resolution:
                continue
            loaded = self.store.payloads.load(record.resolution)
            origin = loaded.get(ORIGIN) if isinstance(loaded, dict) else None
            if isinstance(origin, dict) and origin.get(key) == value:
                return self.view(record)
        return None

    def pending(self, run_id: str) -> Checkpoint | None:
        """The checkpoint a run waits on, if any."""
        waiting = [c for c in self.items.list_for_run(run_id) if c.status == PENDING]
        return self.view(waiting[0]) if waiting else None

    def list_for_run(
        self, tenant_id: str, run_id: str, cursor: str | None, shape: Callable[[Checkpoint], Any]
    ) -> Page:
        """The run's checkpoints, oldest first, as many as one response holds; `cursor` (the last
        checkpoint id of the previous page) goes on after it."""
        self.runs.record(tenant_id, run_id)
        records = self.items.list_for_run(run_id)
        if cursor:
            ids = [r.checkpoint_id for r in records]
            if cursor not in ids:
                raise invalid_cursor(InvalidCursor("not a cursor this API issued"))
            records = records[ids.index(cursor) + 1 :]
        shown = budget.take(shape(self.view(r)) for r in records)
        more = len(shown) < len(records)
        return Page(shown, records[len(shown) - 1].checkpoint_id if more else None)

    def inbox(
        self,
        tenant_id: str,
        status: str,
        assignee: str | None,
        limit: int,
        cursor: str | None,
        shape: Callable[[Checkpoint], Any],
    ) -> Page:
        """The tenant's checkpoints in one status across runs, oldest first."""
        try:
            records, next_cursor = self.items.inbox(tenant_id, status, assignee, limit, cursor)
        except InvalidCursor as error:
            raise invalid_cursor(error) from error
        shown = budget.take(shape(self.view(r)) for r in records)
        if len(shown) < len(records):
            next_cursor = self.items.inbox_cursor_after(records[len(shown) - 1])
        return Page(shown, next_cursor)

    # -- 1. raised by a step ---------------------------------------------------------------------
    def raise_checkpoint(
        self, run: RunRecord, step_name: str, sequence: int, request: CheckpointRequest
    ) -> Resolution:
        """The step's `sequence`-th checkpoint: its resolution if it ended, else (create it and) suspend."""
        from agent_runtime.workflows.checkpoints import MAX_WAIT_SECONDS, Suspend

        checkpoint_id = f"{step_name}-{sequence}"
        existing = self.items.find(run.run_id, checkpoint_id)
        if existing is not None and existing.name != request.name:
            # The step asks another question where its earlier run asked this one: its code changed
            # or is not deterministic. Never hand it the other checkpoint's answer.
            from agent_runtime.workflows.checkpoints import NonDeterministicExecutionError

            raise NonDeterministicExecutionError(
                f"step {step_name} asked checkpoint {request.name!r} as its checkpoint #{sequence}, where "
                f"it asked {existing.name!r} before"
            )
        if existing is not None:
            if existing.status == PENDING:
                raise Suspend(checkpoint_id, seconds_left(existing, self.clock.now()))
            return resolution_of(existing, self._resolution(existing))
        now = self.clock.now()
        expires_at = None
        if request.timeout_seconds:
            expires_at = (now + timedelta(seconds=request.timeout_seconds)).isoformat(timespec="milliseconds")
            expires_at = expires_at.replace("+00:00", "Z")
        record = CheckpointRecord(
            run_id=run.run_id,
            tenant_id=run.tenant_id,
            checkpoint_id=checkpoint_id,
            name=request.name,
            type=request.kind.type,
            status=PENDING,
            prompt=request.prompt,
            payload=self.store.payloads.dump(
                run.tenant_id, run.run_id, f"checkpoint-{checkpoint_id}", request.payload
            ),
            response_schema=json.dumps(request.kind.response_schema()),
            assignee=request.assignee,
            timeout_seconds=request.timeout_seconds,
            expires_at=expires_at,
            on_timeout=request.kind.on_timeout,
            default=json.dumps(request.default) if request.default is not None else None,
            workflow_name=run.workflow_name,
            workflow_version=run.workflow_version,
            created_at=now_iso(),
        )
        created = {
            "checkpoint_id": checkpoint_id,
            "name": request.name,
            "type": request.kind.type,
            "prompt": request.prompt,
            "assignee": request.assignee,
            "expires_at": expires_at,
        }
        usage.await_human_follows(usage_meter.for_run(self.meter, run.run_id))
        self.lifecycle.park(
            run.run_id,
            events=[NewEvent("checkpoint.created", created)],
            entries=[self.items.put_entry(record)],
            seen=run,
        )
        raise Suspend(checkpoint_id, request.timeout_seconds or MAX_WAIT_SECONDS)

    def _resolution(self, record: CheckpointRecord) -> Any:
        return self.store.payloads.load(record.resolution) if record.resolution else None

    # -- 2. AwaitHuman ---------------------------------------------------------------------------
    def await_human(self, run_id: str, checkpoint_id: str, task_token: str) -> dict[str, bool]:
        """Attach the task token to the pending checkpoint. If it was answered (or the run cancelled)
        before the token arrived, the answerer found no token to send, so this sends the outcome."""
        record = self.record(run_id, checkpoint_id)
        if self.items.store_task_token(record, task_token):
            return {"parked": True}
        current = self.record(run_id, checkpoint_id)
        if current.status == "cancelled":
            self.orchestrator.abort(task_token, "RunCancelled", "the run was cancelled")
        else:
            self.orchestrator.resume(task_token)
        return {"parked": False}

    # -- 3. answered -----------------------------------------------------------------------------
    def answer(
        self,
        tenant_id: str,
        run_id: str,
        checkpoint_id: str,
        answer: Answer,
        principal: str | None,
        via: str = "api",
        origin: Mapping[str, Any] | None = None,
    ) -> Checkpoint:
        """Apply a person's answer, exactly once (409 with the checkpoint's state otherwise). `via`: the
        channel it came through (api, console, acp, a2a), kept with who and when for the audit.
        `origin`: the answer as that channel received it, kept with it for that channel to show back
        (`Checkpoint.origin`; in no event and no other view)."""
        run = self.runs.record(tenant_id, run_id)
        record = self.record(run_id, checkpoint_id)
        if record.status != PENDING:
            raise self._not_pending(record)
        resolution = {**self._resolve(record, answer, principal), "via": via}
        event = {
            "checkpoint_id": checkpoint_id,
            "name": record.name,
            **{k: v for k, v in resolution.items() if k != "data"},
        }
        if origin is not None:
            resolution[ORIGIN] = dict(origin)
        try:
            self.lifecycle.resume(
                run_id,
                events=[NewEvent("checkpoint.resolved", event)],
                # `resuming`: until a worker takes the run up again, a cancel is a 409 (this answer won);
                # set only when this answer is what resumes the run.
                updates={"resuming": checkpoint_id if run.status == RunStatus.WAITING_FOR_INPUT else None},
                # A durable run may be answered while it still runs (its code asked and went on).
                or_running=record.wakes_run,
                expect={"stop_requested": None},  # a cancel that marked the run first wins
                entries=[self._transition(record, "resolved", resolution["at"], resolution)],
                seen=run,  # the run `resuming` was decided on: the commit is guarded on its version
            )
        except ChangedMeanwhile as lost:
            if lost.current.stop_requested:
                raise Conflict(
                    f"run {run_id} is being cancelled: checkpoint {checkpoint_id} can't be answered",
                    status_now=lost.current.status,
                    checkpoint=self.view(self.record(run_id, checkpoint_id)),
                ) from lost
            raise self._not_pending(self.record(run_id, checkpoint_id)) from lost
        except EntryConditionFailed as lost:
            raise self._not_pending(self.record(run_id, checkpoint_id)) from lost
        resolved = self.record(run_id, checkpoint_id)
        waited(resolved, "resolved")
        if resolved.wakes_run:
            self.lifecycle.wake(run_id)
        elif resolved.task_token:  # else AwaitHuman has not stored it yet, and will resume by itself
            try:
                self.orchestrator.resume(resolved.task_token)
            except Exception as error:
                # The answer is committed, so it stands and is answered as such; the reconciler
                # resumes an execution still parked on a resolved checkpoint.
                if not is_transient(error):
                    raise
                log.warning("run %s: resuming after %s failed (%s)", run_id, checkpoint_id, error)
        return self.view(resolved)

    def _not_pending(self, record: CheckpointRecord) -> Conflict:
        return Conflict(
            f"checkpoint {record.checkpoint_id} is {record.status}, not pending",
            status_now=record.status,
            checkpoint=self.view(record),
        )

    def _resolve(self, record: CheckpointRecord, answer: Answer, principal: str | None) -> dict[str, Any]:
        wanted = "input" if isinstance(answer, Submit) else "approval"
        if record.type != wanted:
            verb = "input" if record.type == "input" else "approve or reject"
            raise Conflict(
                f"checkpoint {record.checkpoint_id} is an {record.type} checkpoint: {verb} it instead",
                status_now=record.status,
            )
        resolution: dict[str, Any] = {"by": principal, "at": now_iso()}
        if isinstance(answer, Approve):
            resolution.update(decision="approved", comment=answer.comment)
        elif isinstance(answer, Reject):
            resolution.update(decision="rejected", reason=answer.reason)
        else:
            from pydantic import ValidationError

            # A durable run's callback that names no declared kind takes any JSON object.
            kind = self.workflows.get(record.workflow_name, record.workflow_version).checkpoints.get(
                record.name
            )
            if kind is not None and kind.response_model is not None:
                try:
                    kind.response_model.model_validate(answer.data)
                except ValidationError as error:
                    raise ValidationFailed(
                        "data does not match the checkpoint's response schema",
                        errors=field_errors(error, "data"),
                    ) from error
            resolution.update(decision="submitted", data=answer.data)
        return resolution

    def _transition(
        self, record: CheckpointRecord, status: str, at: str, resolution: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        # Input answers can be as large as a request body: over 64 KiB they go to S3.
        stored = (
            self.store.payloads.dump(
                record.tenant_id, record.run_id, f"resolution-{record.checkpoint_id}", dict(resolution)
            )
            if resolution is not None
            else None
        )
        return self.items.transition_entry(record, status, at, stored)

    # -- 4. expired, or closed with the run ------------------------------------------------------
    def expire(self, run_id: str, checkpoint_id: str) -> StepOutcome:
        """The ExpireCheckpoint task: the deadline passed. Continue with the default, or time out."""
        record = self.record(run_id, checkpoint_id)
        now = now_iso()
        expired_event = NewEvent(
            "checkpoint.expired",
            {"checkpoint_id": checkpoint_id, "name": record.name, "at": now, "on_timeout": record.on_timeout},
        )
        try:
            if record.on_timeout == "continue":
                resolution = {
                    "decision": "expired",
                    "data": json.loads(record.default) if record.default else None,
                    "at": now,
                }
                self.lifecycle.resume(
                    run_id,
                    events=[expired_event],
                    entries=[self._transition(record, "expired", now, resolution)],
                )
                waited(record, "expired")
                return outcome("continue")
            error = {
                "type": "CheckpointExpired",
                "message": f"checkpoint {checkpoint_id} was not answered in time",
            }
            self.lifecycle.time_out(
                run_id,
                error,
                [expired_event],
                self._transition(record, "expired", now, {"decision": "expired", "at": now}),
            )
            waited(record, "expired")
            return outcome("done")
        except (ChangedMeanwhile, EntryConditionFailed):
            # Answered right at the deadline (go on with the answer), or cancelled (stop).
            run = self.store.runs.get(run_id)
            return outcome("continue" if run.status == RunStatus.RUNNING else "done")

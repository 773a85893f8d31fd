"""A run's life, in one place: every change of a run's status is a method of `Lifecycle`.

    queued --start--> running --park--> waiting_for_input --resume--> running
    running --succeed--> succeeded
    any active status --fail--> failed, --cancel--> cancelled
    waiting_for_input --time_out--> timed_out
    any active status --redrive--> the same status, under a new execution (the reconciler's claim)

`TRANSITIONS` is that table; each method commits its row as one guarded write (store/run_items.py
`commit`: the run must be in the row's source statuses) with the row's event and its metric:
RunTransitions for start, park, resume and redrive, RunsEnded for the four endings. An ending closes
the run's pending checkpoints in the same transaction (engine/checkpoints.py hands over the entries)
and then `_ended` runs exactly once: the metric, and a parent run waiting on this one is woken.
What a checkpoint does by itself (created, answered, expired) is engine/checkpoints.py's; the
events of parking and resuming on one are the checkpoint's (`checkpoint.created`, `.resolved`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from pydantic import BaseModel, ValidationError

from agent_runtime import observability
from agent_runtime.clock import now_iso
from agent_runtime.engine.checkpoints import closing
from agent_runtime.errors import TransientAwsError, is_transient
from agent_runtime.store.errors import ChangedMeanwhile, EntryConditionFailed
from agent_runtime.store.event_items import NewEvent
from agent_runtime.store.payloads import to_json
from agent_runtime.store.run_items import ACTIVE_STATUSES, RunStatus
from agent_runtime.store.run_items import TERMINAL_STATUSES as TERMINAL_STATUSES
from agent_runtime.validation import field_errors

if TYPE_CHECKING:
    from agent_runtime.store.checkpoint_items import CheckpointItems
    from agent_runtime.store.payloads import Payloads
    from agent_runtime.store.run_items import RunItems, RunRecord
    from agent_runtime.workflows.sdk import Workflow

log = logging.getLogger(__name__)

# GET /v1/runs/{id} returns input and output in one response, which Lambda caps at 6 MB.
MAX_OUTPUT_BYTES = 2 * 1024 * 1024
# Each try of an ending loses only to a concurrent change of the run (an event, a checkpoint): rare.
END_ATTEMPTS = 20
# An answer to a durable run that is suspending or being woken as it arrives follows the status it finds.
RESUME_ATTEMPTS = 5


@dataclass(frozen=True)
class Transition:
    """One row of the run's state table: from which statuses, to which (None: it stays), and the
    event that says so (None: the event is the caller's, e.g. a checkpoint's)."""

    name: str
    source: frozenset[RunStatus]
    target: RunStatus | None
    event: str | None


def _row(name: str, source: Collection[RunStatus], target: RunStatus | None, event: str | None) -> Transition:
    return Transition(name, frozenset(source), target, event)


_S = RunStatus
TRANSITIONS: Final[Mapping[str, Transition]] = {
    row.name: row
    for row in (
        _row("start", {_S.QUEUED}, _S.RUNNING, "run.started"),
        _row("park", {_S.RUNNING}, _S.WAITING_FOR_INPUT, None),
        _row("resume", {_S.WAITING_FOR_INPUT}, _S.RUNNING, None),
        _row("succeed", {_S.RUNNING}, _S.SUCCEEDED, "run.succeeded"),
        _row("fail", ACTIVE_STATUSES, _S.FAILED, "run.failed"),
        _row("cancel", ACTIVE_STATUSES, _S.CANCELLED, "run.cancelled"),
        _row("time_out", {_S.WAITING_FOR_INPUT}, _S.TIMED_OUT, "run.timed_out"),
        _row("redrive", ACTIVE_STATUSES, None, None),
    )
}


def _output_problem(workflow: Workflow, output: Any) -> tuple[str, str] | None:
    """Why `output` can't be the run's (an error type and message), or None."""
    try:
        workflow.output_model.model_validate(output)
    except ValidationError as error:
        return "OutputValidationError", "; ".join(
            f"{e['field']}: {e['message']}" for e in field_errors(error, "output")
        )
    size = len(to_json(output).encode())
    if size > MAX_OUTPUT_BYTES:
        return (
            "OutputTooLarge",
            f"output is {size} bytes, over {MAX_OUTPUT_BYTES}: return large results as artifacts",
        )
    return None


class Orchestration(Protocol):
    """What the lifecycle asks of Step Functions (engine/orchestration.py Orchestrator)."""

    def resume(self, task_token: str) -> None: ...

    def abort(self, task_token: str, error: str, cause: str) -> None: ...


class Lifecycle:
    """Every transition of a run. `thread_state`: the entries that make a successful run's output its
    thread's new state (engine/threads.py Threads.new_state_entries)."""

    def __init__(
        self,
        runs: RunItems,
        checkpoints: CheckpointItems,
        payloads: Payloads,
        orchestrator: Orchestration,
        thread_state: Callable[[RunRecord, Any], list[dict[str, Any]]],
    ) -> None:
        self.runs = runs
        self.checkpoints = checkpoints
        self.payloads = payloads
        self.orchestrator = orchestrator
        self.thread_state = thread_state

    # -- on the way ------------------------------------------------------------------------------
    def start(
        self,
        record: RunRecord,
        *,
        then: Sequence[NewEvent] = (),
        updates: Mapping[str, Any] | None = None,
        expect: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """queued -> running, the first Execute (ChangedMeanwhile if another worker started it). `then`,
        `updates`, `expect`: what the first step's own commit would carry, in the same transaction (its
        `step.started` after `run.started`: engine/execute.py)."""
        return self._move(
            record.run_id,
            TRANSITIONS["start"],
            events=[self._event("start"), *then],
            updates=updates,
            expect=expect,
            seen=record,
        )

    def park(
        self,
        run_id: str,
        *,
        events: Sequence[NewEvent] = (),
        entries: Sequence[dict[str, Any]] = (),
        expect: Mapping[str, Any] | None = None,
        seen: RunRecord | None = None,
    ) -> RunRecord:
        """running -> waiting_for_input: a step raised a checkpoint (its `checkpoint.created` and item
        come as `events` and `entries`), or a durable run suspended with one pending."""
        return self._move(
            run_id, TRANSITIONS["park"], events=events, entries=entries, expect=expect, seen=seen
        )

    def resume(
        self,
        run_id: str,
        *,
        events: Sequence[NewEvent] = (),
        entries: Sequence[dict[str, Any]] = (),
        updates: Mapping[str, Any] | None = None,
        expect: Mapping[str, Any] | None = None,
        or_running: bool = False,
        seen: RunRecord | None = None,
    ) -> RunRecord:
        """waiting_for_input -> running: its checkpoint was answered or expired with a default, or a
        durable run was woken. `or_running`: a run already running takes the same write with no
        transition (a durable run's code asked and went on, and is answered meanwhile: decision 67)."""
        # A durable run moves between running and waiting_for_input on its own (it suspends, it is
        # woken), so the write follows the status it finds, a few times, before giving up; each try
        # starts from the run the last one found.
        for _ in range(RESUME_ATTEMPTS):
            try:
                return self._move(
                    run_id,
                    TRANSITIONS["resume"],
                    events=events,
                    entries=entries,
                    updates=updates,
                    expect=expect,
                    seen=seen,
                )
            except ChangedMeanwhile as moved:
                if not or_running or moved.current.status != RunStatus.RUNNING:
                    raise
                seen = moved.current
            try:
                return self.runs.commit(
                    run_id,
                    events=events,
                    updates=dict(updates or {}),
                    expect_status={RunStatus.RUNNING},
                    expect=expect,
                    extra_entries=entries,
                    seen=seen,
                )
            except ChangedMeanwhile as moved:
                if moved.current.status != RunStatus.WAITING_FOR_INPUT:
                    raise
                seen = moved.current
        raise ChangedMeanwhile(self.runs.get(run_id))

    def redrive(self, seen: RunRecord, execution: str) -> RunRecord:
        """The reconciler's claim on a run whose execution was lost: its status stays, its execution is
        `execution`. Only from the version found lost, so of two sweeps (or a sweep and a worker that
        moved the run on meanwhile) one wins and the other gets ChangedMeanwhile."""
        parked = seen.status == RunStatus.WAITING_FOR_INPUT
        return self._move(
            seen.run_id,
            TRANSITIONS["redrive"],
            updates={
                "execution": execution,
                "redrives": seen.redrives + 1,
                "parked_redrives": seen.parked_redrives + parked,
            },
            expect={"version": seen.version},
            seen=seen,
        )

    # -- endings ---------------------------------------------------------------------------------
    def succeed(
        self,
        record: RunRecord,
        workflow: Workflow,
        output: Any,
        *,
        first: Sequence[NewEvent] = (),
        updates: Mapping[str, Any] | None = None,
        expect: Mapping[str, Any] | None = None,
    ) -> None:
        """End the run `succeeded` with `output` (a pydantic model is dumped), if it matches the
        workflow's output model and fits (else it fails, saying why). A thread run's output becomes its
        thread's state in the same transaction. `first`, `updates`, `expect`: the last step's own
        commit (its `step.completed`), made in the same transaction, or on its own before a failure."""
        if isinstance(output, BaseModel):
            output = output.model_dump(mode="json")
        problem = _output_problem(workflow, output)
        if problem is not None:
            if first or updates:  # the step's end stands; the run fails after it
                record = self.runs.commit(
                    record.run_id,
                    events=first,
                    updates=updates,
                    expect_status=TRANSITIONS["succeed"].source,
                    expect=expect,
                    seen=record,
                )
            self.fail(record.run_id, *problem)
            return
        succeed = TRANSITIONS["succeed"]
        events = [*first, self._event("succeed", output=output)]
        changes = {
            **(updates or {}),
            "output": self.payloads.dump(record.tenant_id, record.run_id, "output", output),
        }
        try:
            ended = self._move(
                record.run_id,
                succeed,
                events=events,
                updates=changes,
                entries=self.thread_state(record, output),
                expect=expect,
                metric=False,
                seen=record,
            )
        except EntryConditionFailed:  # the thread was deleted meanwhile: the run still succeeds
            ended = self._move(
                record.run_id, succeed, events=events, updates=changes, expect=expect, metric=False
            )
        self._ended(ended)

    def fail(self, run_id: str, error_type: str, message: str, step: str | None = None) -> RunRecord:
        """End an active run `failed` (ChangedMeanwhile if it is no longer active)."""
        error = {"type": error_type, "message": message[:4000]}
        events = [NewEvent("step.failed", {"step": step, "error": error})] if step else []
        events.append(self._event("fail", error=error))
        return self._end(run_id, TRANSITIONS["fail"], events, {"error": json.dumps(error)})

    def cancel(self, run_id: str, *, abort_waits: bool = False) -> RunRecord:
        """End an active run `cancelled` (ChangedMeanwhile if it is not active). With `abort_waits` (the
        cancel itself, not a worker finishing a cancel that died) parked waits are failed so nothing
        resumes."""
        return self._end(run_id, TRANSITIONS["cancel"], [self._event("cancel")], {}, abort_waits=abort_waits)

    def time_out(
        self, run_id: str, error: Mapping[str, Any], events: Sequence[NewEvent], entry: dict[str, Any]
    ) -> RunRecord:
        """waiting_for_input -> timed_out: the checkpoint it waits on expired with `on_timeout: fail`
        (its `checkpoint.expired` event and transition come as `events` and `entry`)."""
        ended = self._move(
            run_id,
            TRANSITIONS["time_out"],
            events=[*events, self._event("time_out", error=dict(error))],
            updates={"error": json.dumps(dict(error))},
            entries=[entry],
            metric=False,
        )
        self._ended(ended)
        return ended

    def _end(
        self,
        run_id: str,
        transition: Transition,
        events: list[NewEvent],
        updates: dict[str, Any],
        *,
        abort_waits: bool = False,
    ) -> RunRecord:
        """End an active run and cancel its pending checkpoints, in one transaction.

        The commit is pinned to the run's version read before its checkpoints are listed: a checkpoint
        the worker raised in between moves the version, and the next try sees it, so no checkpoint is
        left pending on an ended run."""
        for _ in range(END_ATTEMPTS):
            current = self.runs.get(run_id)
            if current.status not in transition.source:
                raise ChangedMeanwhile(current)
            closed = closing(self.checkpoints, run_id, now_iso())
            try:
                ended = self._move(
                    run_id,
                    transition,
                    events=[*closed.events, *events],
                    updates=updates,
                    entries=closed.entries,
                    expect={"version": current.version},
                    metric=False,
                    # The ending decides on the version just read; a cancel that aborts a parked
                    # wait reads again in the commit, for the freshest wake_token (not versioned).
                    seen=None if abort_waits else current,
                )
            except ChangedMeanwhile as moved:
                if moved.current.status not in transition.source:
                    raise
                continue
            except EntryConditionFailed:
                continue  # a checkpoint was answered meanwhile: look again
            self._ended(ended)
            closed.done(self.checkpoints, self.orchestrator if abort_waits else None)
            if abort_waits and ended.wake_token:  # a parked durable run (a stale token is ignored)
                self.orchestrator.abort(ended.wake_token, "RunCancelled", "the run was cancelled")
            return ended
        raise TransientAwsError(f"could not end run {run_id}: contention")

    def _ended(self, record: RunRecord) -> None:
        """After a run ended, exactly once: the RunsEnded metric, and a parent waiting on it
        (context.invoke) goes on."""
        observability.metric(
            observability.RUNS_ENDED, 1, workflow=record.workflow_name, status=str(record.status)
        )
        if record.parent_run_id:
            self.wake(record.parent_run_id)

    # -- a durable run's waits -------------------------------------------------------------------
    def wake(self, run_id: str) -> None:
        """Something a durable run may wait for changed (an answer, a child's end): a parked execution
        is resumed, a running invocation sees the mark when it ends and goes on (engine/durable/stack.py)."""
        try:
            token = self.runs.wake(run_id)
            if token:
                self.orchestrator.resume(token)
        except Exception as error:
            if not is_transient(error):
                raise
            # The change is stored; the reconciler resumes a run parked past what it waits for.
            log.warning("run %s: waking it failed (%s)", run_id, error)

    def hold(self, run_id: str, wake_mark: str | None, task_token: str) -> dict[str, bool]:
        """The Suspend task of a durable run: keep the token for whatever wakes the run. If something did
        since its invocation ended (the wake mark moved), go on at once; a run that ended stops."""
        parked = self.runs.park(run_id, wake_mark, task_token)
        if parked is not None and parked.status in ACTIVE_STATUSES:
            return {"parked": True}
        current = self.runs.get(run_id)
        if current.status not in ACTIVE_STATUSES or current.stop_requested:
            self.orchestrator.abort(task_token, "RunCancelled", "the run ended")
        else:
            self.orchestrator.resume(task_token)
        return {"parked": False}

    # -- the one commit ----------------------------------------------------------------------------
    def _event(self, transition: str, **data: Any) -> NewEvent:
        row = TRANSITIONS[transition]
        assert row.event is not None and row.target is not None
        return NewEvent(row.event, {"status": str(row.target), **data})

    def _move(
        self,
        run_id: str,
        transition: Transition,
        *,
        events: Sequence[NewEvent] = (),
        updates: Mapping[str, Any] | None = None,
        entries: Sequence[dict[str, Any]] = (),
        expect: Mapping[str, Any] | None = None,
        metric: bool = True,
        seen: RunRecord | None = None,
    ) -> RunRecord:
        """Commit one row of TRANSITIONS: from its source statuses, to its target, with `events`.
        `seen`: the run as the caller holds it, so the commit needn't read it (store/run_items.py)."""
        changes = dict(updates or {})
        if transition.target is not None:
            changes["status"] = str(transition.target)
        record = self.runs.commit(
            run_id,
            events=events,
            updates=changes,
            expect_status=transition.source,
            expect=expect,
            extra_entries=entries,
            seen=seen,
        )
        if metric:
            observability.metric(
                observability.RUN_TRANSITIONS, 1, workflow=record.workflow_name, transition=transition.name
            )
        return record

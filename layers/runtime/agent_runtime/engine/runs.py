"""Runs: create (idempotent, optionally on a thread), read, list, wait, cancel, delete."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent_runtime import observability
from agent_runtime.canonical import sha256_of
from agent_runtime.clock import now_iso
from agent_runtime.engine import budget, budgets, usage
from agent_runtime.engine.model import Page, Run, RunProgress
from agent_runtime.engine.orchestration import execution_name, starts_on_express
from agent_runtime.engine.threads import ThreadBusy
from agent_runtime.engine.webhooks.headers import validate_callback_headers
from agent_runtime.errors import BadRequest, Conflict, NotFound, ValidationFailed, is_transient
from agent_runtime.store.errors import (
    ChangedMeanwhile,
    EntryConditionFailed,
    InvalidCursor,
    ItemNotFound,
    KeyTaken,
)
from agent_runtime.store.event_items import NewEvent
from agent_runtime.store.payloads import to_json
from agent_runtime.store.run_items import ACTIVE_STATUSES, TERMINAL_STATUSES, RunRecord, RunStatus
from agent_runtime.validation import validate_against

if TYPE_CHECKING:
    from agent_runtime.clock import Clock
    from agent_runtime.engine.lifecycle import Lifecycle
    from agent_runtime.engine.orchestration import Orchestrator
    from agent_runtime.engine.threads import Threads
    from agent_runtime.engine.webhooks.urls import UrlGuard
    from agent_runtime.store import Store
    from agent_runtime.store.run_changes import RunChanges
    from agent_runtime.workflows.registry import Registry
    from agent_runtime.workflows.sdk import Workflow

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
STOP_ATTEMPTS = 5
WAIT_POLL_SECONDS = 0.2
# A wait's first polls come sooner, so a run that ends quickly (an echo run on the local stack ends
# 50-110 ms after it is created) is answered within 20-30 ms of it and not a whole poll later: in the
# first 0.4 s, nine reads instead of two.
WAIT_FIRST_POLLS = (0.02, 0.02, 0.02, 0.03, 0.03, 0.04, 0.05, 0.08, 0.12)
SCAN_PAGE = 100


@dataclass(frozen=True)
class RunSpec:
    """What a run is made of, whichever door asked for it."""

    workflow_name: str
    workflow_version: str | None = None
    input: Any = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    callback_url: str | None = None
    schema_hash: str | None = None
    # Sent with every webhook of the run (credentials the receiver wants); write-only.
    callback_headers: Mapping[str, str] = field(default_factory=dict)
    # The run's model budget, {"max_cost_usd", "max_tokens"} (engine/budgets.py).
    budget: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class OnThread:
    """Run on a thread: the thread's state is the run's context and its output the thread's new state.
    `multitask`: what to do when the thread already has an active run (reject, or interrupt it)."""

    thread_id: str
    multitask: str = "reject"
    create_if_missing: bool = False


def invalid_cursor(error: InvalidCursor) -> BadRequest:
    return BadRequest("cursor is not valid", errors=[{"field": "cursor", "message": str(error)}])


class Runs:
    def __init__(
        self,
        store: Store,
        lifecycle: Lifecycle,
        threads: Threads,
        orchestrator: Orchestrator,
        workflows: Registry,
        url_guard: UrlGuard,
        clock: Clock,
        changes: RunChanges,
    ) -> None:
        self.store = store
        self.lifecycle = lifecycle
        self.threads = threads
        self.orchestrator = orchestrator
        self.workflows = workflows
        self.url_guard = url_guard
        self.clock = clock
        self.changes = changes

    # -- create ----------------------------------------------------------------------------------
    def check(self, spec: RunSpec, *, tenant_id: str = "") -> Workflow:
        """The run's workflow, if the spec could start a run of it (404, 409 or 422 otherwise)."""
        workflow = self.workflows.get(spec.workflow_name, spec.workflow_version)
        if spec.schema_hash is not None and spec.schema_hash != workflow.schema_hash:
            raise Conflict(
                f"schema_hash does not match {workflow.name} {workflow.version}: fetch its schemas again",
                errors=[{"field": "schema_hash", "message": f"current hash is {workflow.schema_hash}"}],
                schema_hash=workflow.schema_hash,
            )
        validate_against(workflow.input_model, spec.input, "input")
        validate_against(workflow.config_model, spec.config, "config")
        self.url_guard.validate_callback_url(spec.callback_url)
        _check_headers(spec.callback_url, spec.callback_headers)
        if tenant_id:
            budgets.refuse_if_spent(self.store.runs, tenant_id)  # the tenant's daily model budget
        return workflow

    def create(
        self,
        tenant_id: str,
        spec: RunSpec,
        *,
        idempotency: tuple[str, Mapping[str, Any]] | None = None,
        protocol: str = "v1",
        protocol_options: Mapping[str, Any] | None = None,
        on_thread: OnThread | None = None,
        run_id: str | None = None,
        parent_run_id: str | None = None,
    ) -> tuple[Run, bool]:
        """Store a run and start its execution. Returns the run and whether it was an idempotent replay.

        `idempotency` is (the client's key, the request as the client sent it): the same key with the
        same request returns the first run; with another request it is a 409. `protocol` names the
        door whose formatter shapes the run's webhooks; `protocol_options` are kept for it. `run_id` and
        `parent_run_id`: a child run a durable run starts (engine/durable/stack.py), under its own id."""
        workflow, key = self._validate(tenant_id, spec, idempotency)  # everything that refuses, unwritten
        if key is not None and (replay := self._replay(tenant_id, key)) is not None:
            return self.view(replay), True
        run_id = run_id or str(uuid.uuid4())
        claims = self._claim_thread(tenant_id, on_thread, run_id) if on_thread is not None else []
        record = self._new_record(
            tenant_id,
            run_id,
            spec,
            workflow,
            protocol=protocol,
            protocol_options=protocol_options,
            thread_id=on_thread.thread_id if on_thread else None,
            parent_run_id=parent_run_id,
        )
        record, replayed = self._commit(record, key, claims)
        if record.status == RunStatus.QUEUED:
            # Also on replay: if the first request died between storing and starting, this heals it.
            self._start(record, replay=replayed)
        return self.view(record), replayed

    def _validate(
        self, tenant_id: str, spec: RunSpec, idempotency: tuple[str, Mapping[str, Any]] | None
    ) -> tuple[Workflow, tuple[str, str] | None]:
        """The run's workflow and its idempotency key (the client's key, the request's fingerprint)."""
        if idempotency is not None and not IDEMPOTENCY_KEY.match(idempotency[0]):
            raise BadRequest(
                "Idempotency-Key must be 1-255 visible ASCII characters",
                errors=[{"field": "Idempotency-Key", "message": "1-255 visible ASCII characters"}],
            )
        workflow = self.check(spec, tenant_id=tenant_id)
        return workflow, (idempotency[0], sha256_of(dict(idempotency[1]))) if idempotency else None

    def _replay(self, tenant_id: str, key: tuple[str, str]) -> RunRecord | None:
        """The run the key already names, started if it is still queued; None if the key is new. A retry
        is answered before the thread's multitask policy: its thread is busy with the very run the retry
        asks for (and `interrupt` would cancel it)."""
        taken = self.store.runs.idempotent_run(tenant_id, key[0])
        if taken is None:
            return None
        replay = self._replayed(tenant_id, key, *taken)
        if replay.status == RunStatus.QUEUED:  # the first request may have died before starting it
            self._start(replay, replay=True)
        return replay

    def _claim_thread(self, tenant_id: str, on_thread: OnThread, run_id: str) -> list[dict[str, Any]]:
        """The multitask policy applied to the thread's active run, then the entries that make the new
        run the thread's current one (committed with it: of two racing runs one gets the thread)."""
        thread, active = self.threads.claimable(tenant_id, on_thread)
        if active is not None:
            if on_thread.multitask == "interrupt":
                self.cancel(tenant_id, active.run_id)
            elif on_thread.multitask == "reject":
                raise ThreadBusy(f"thread {on_thread.thread_id!r} has run {active.run_id} in progress")
            else:
                raise ValidationFailed(
                    f"multitask {on_thread.multitask!r} is not supported",
                    errors=[{"field": "multitask", "message": "use reject or interrupt"}],
                )
        return [
            self.store.threads.claim_entry(thread, run_id),
            self.store.threads.run_pointer_entry(thread, run_id, now_iso()),
        ]

    def _new_record(
        self,
        tenant_id: str,
        run_id: str,
        spec: RunSpec,
        workflow: Workflow,
        *,
        protocol: str,
        protocol_options: Mapping[str, Any] | None,
        thread_id: str | None,
        parent_run_id: str | None,
    ) -> RunRecord:
        """The queued run, its input and config claim-checked (over the inline limit: in S3)."""
        payloads = self.store.payloads
        now = now_iso()
        return RunRecord(
            run_id=run_id,
            tenant_id=tenant_id,
            status=RunStatus.QUEUED.value,
            workflow_name=workflow.name,
            workflow_version=workflow.version,
            schema_hash=workflow.schema_hash,
            input=payloads.dump(tenant_id, run_id, "input", spec.input),
            config=payloads.dump(tenant_id, run_id, "config", dict(spec.config)),
            metadata=to_json(dict(spec.metadata)),
            callback_url=spec.callback_url,
            created_at=now,
            updated_at=now,
            protocol=protocol,
            thread_id=thread_id,
            protocol_options=to_json(dict(protocol_options or {})),
            parent_run_id=parent_run_id,
            # A run under its tenant's daily budget checks it before each model call, as one with a
            # budget of its own does (workflows/agents.py): decided here, once, for every replay.
            budget=to_json(dict(spec.budget or {}))
            if spec.budget or budgets.daily_budget(tenant_id)
            else None,
            callback_headers=to_json(dict(spec.callback_headers)) if spec.callback_headers else None,
            usage_transitions=usage.TRANSITIONS_AT_CREATION,
            usage_express_executions=int(self._on_express(workflow)),
        )

    def _commit(
        self, record: RunRecord, key: tuple[str, str] | None, claims: list[dict[str, Any]]
    ) -> tuple[RunRecord, bool]:
        """Store the run with `run.created` (and its thread claims); the run a racing request with the
        same key stored instead, if one did (a replay)."""
        created = NewEvent(
            "run.created",
            {
                "status": RunStatus.QUEUED.value,
                "workflow": {"name": record.workflow_name, "version": record.workflow_version},
            },
        )
        try:
            stored = self.store.runs.create(record, created, key, claims)
        except KeyTaken as taken:
            assert key is not None
            return self._replayed(record.tenant_id, key, taken.run_id, taken.fingerprint), True
        except EntryConditionFailed as busy:
            assert record.thread_id is not None
            raise ThreadBusy(f"thread {record.thread_id!r} has a run in progress") from busy
        observability.bind(run_id=stored.run_id)
        observability.metric(observability.RUNS_CREATED, 1, workflow=stored.workflow_name)
        return stored, False

    def _on_express(self, workflow: Workflow) -> bool:
        return starts_on_express(workflow, self.orchestrator.express_state_machine_arn)

    def _start(self, record: RunRecord, *, replay: bool = False) -> None:
        """Start a stored run's execution. Stored is what counts: if Step Functions stays throttled, the
        run is answered as created and the reconciler starts it within one period."""
        express = self._on_express(self.workflows.get(record.workflow_name, record.workflow_version))
        if express and replay:
            # Express, unlike Standard, doesn't refuse a second execution of the same name: a replay
            # leaves a queued run to the reconciler, which re-drives it on Standard after its grace.
            return
        try:
            self.orchestrator.start(record.run_id, record.tenant_id, record.execution, express=express)
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("run %s stored, not started (%s): the reconciler will", record.run_id, error)

    def _replayed(self, tenant_id: str, key: tuple[str, str], run_id: str, fingerprint: str) -> RunRecord:
        """The run an Idempotency-Key already names, if it was taken by the same request (409 if not)."""
        if fingerprint != key[1]:
            raise Conflict(
                "Idempotency-Key was already used with a different request body",
                errors=[{"field": "Idempotency-Key", "message": "reused with a different body"}],
            )
        return self.record(tenant_id, run_id)

    # -- read ------------------------------------------------------------------------------------
    def record(self, tenant_id: str | None, run_id: str) -> RunRecord:
        """The stored run, if it belongs to `tenant_id` (None: any tenant, for internal workers)."""
        try:
            record = self.store.runs.get(run_id)
        except ItemNotFound as missing:
            raise NotFound(f"run {run_id!r} does not exist") from missing
        if tenant_id is not None and record.tenant_id != tenant_id:
            # Another tenant's run is indistinguishable from a missing one.
            raise NotFound(f"run {run_id!r} does not exist")
        return record

    def view(self, record: RunRecord) -> Run:
        return Run.of(record, self.store.payloads)

    def get(self, tenant_id: str, run_id: str) -> Run:
        return self.view(self.record(tenant_id, run_id))

    def page(
        self,
        tenant_id: str,
        *,
        status: str | None,
        workflow: str | None,
        limit: int,
        cursor: str | None,
        shape: Callable[[Run], Any],
        metadata: Mapping[str, str] | None = None,
    ) -> Page:
        """Runs, newest first, shaped by the door, as many as one response holds. `metadata`: only runs
        whose metadata has each of these top-level keys with that string value."""
        try:
            records, next_cursor = self.store.runs.list_for_tenant(
                tenant_id, status=status, workflow=workflow, limit=limit, cursor=cursor, metadata=metadata
            )
        except InvalidCursor as error:
            raise invalid_cursor(error) from error
        if metadata:
            records = [r for r in records if _has_metadata(r, metadata)]
        shown = budget.take(shape(self.view(r)) for r in records)
        if len(shown) < len(records):  # full before `limit`: go on after the last one shown
            next_cursor = self.store.runs.cursor_after(
                records[len(shown) - 1], status=status, workflow=workflow
            )
        return Page(shown, next_cursor)

    def scan(self, tenant_id: str, max_runs: int) -> Iterator[Run]:
        """The tenant's runs, newest first, at most `max_runs` (for searches that filter themselves)."""
        cursor = None
        seen = 0
        while seen < max_runs:
            records, cursor = self.store.runs.list_for_tenant(
                tenant_id, status=None, workflow=None, limit=min(SCAN_PAGE, max_runs - seen), cursor=cursor
            )
            seen += len(records)
            yield from (self.view(r) for r in records)
            if not cursor:
                return

    def wait(
        self,
        tenant_id: str,
        run_id: str,
        timeout: float,
        until: Callable[[RunProgress], bool] = lambda run: run.settled,
    ) -> Run:
        """The run once `until` holds (by default: it ended or waits for a human), or as it is when
        `timeout` seconds have passed. Polls read only the run item; its payloads (which may be in S3)
        are loaded once, for the answer."""
        clock = self.clock
        deadline = clock.monotonic() + timeout
        # Woken by each write of the run, a wait needs no quick first polls (store/run_changes.py).
        first = () if self.changes.notifies else WAIT_FIRST_POLLS
        polls = itertools.chain(first, itertools.repeat(WAIT_POLL_SECONDS))
        with self.changes.watch(run_id) as changed:
            while True:
                record = self.record(tenant_id, run_id)
                progress = RunProgress(record.run_id, record.status, record.event_seq)
                if until(progress) or clock.monotonic() >= deadline:
                    return self.view(record)
                changed.wait(next(polls))

    # -- callback --------------------------------------------------------------------------------
    def set_callback(
        self,
        tenant_id: str,
        seen: Run,
        url: str | None,
        headers: Mapping[str, str] | None = None,
        *,
        protocol_options: Mapping[str, Any] | None = None,
    ) -> Run:
        """Set (or, with url None, remove) the run's callback and its headers, and optionally replace
        its protocol options, if its callback and options are still as `seen` (a Conflict if not: read
        it again). One guarded write; deliveries take the callback current when they are made. A
        terminal run can lose its callback but gets none: it sends nothing more."""
        self.url_guard.validate_callback_url(url)
        _check_headers(url, headers or {})
        record = self.record(tenant_id, seen.run_id)
        if record.callback_url != seen.callback_url or json.loads(record.protocol_options) != dict(
            seen.protocol_options
        ):
            raise Conflict(f"run {seen.run_id}'s callback changed meanwhile: read it again")
        updates: dict[str, Any] = {
            "callback_url": url,
            "callback_headers": to_json(dict(headers)) if headers else None,
        }
        if protocol_options is not None:
            updates["protocol_options"] = to_json(dict(protocol_options))
        expect = {
            "callback_url": record.callback_url,
            "callback_headers": record.callback_headers,
            "protocol_options": record.protocol_options,
        }
        try:
            updated = self.store.runs.commit(
                seen.run_id,
                updates=updates,
                expect_status=ACTIVE_STATUSES if url is not None else None,
                expect=expect,
            )
        except ChangedMeanwhile as moved:
            if url is not None and moved.current.status in TERMINAL_STATUSES:
                raise conflict_for(moved.current, "set a callback on") from moved
            raise Conflict(f"run {seen.run_id}'s callback changed meanwhile: read it again") from moved
        return self.view(updated)

    # -- end -------------------------------------------------------------------------------------
    def cancel(self, tenant_id: str, run_id: str) -> Run:
        """Cancel in any non-terminal state (409 once terminal). A stop request first (no version
        guard: it wins against a busy run's writes at once, and the worker stops at its next commit),
        then the run ends. A run waiting on a human has its pending checkpoint cancelled in the same
        transaction and its parked wait failed, so late answers get 409 and nothing resumes."""
        self._request_stop(tenant_id, run_id)
        try:
            record = self.lifecycle.cancel(run_id, abort_waits=True)
        except ChangedMeanwhile as ended:
            if ended.current.status != RunStatus.CANCELLED:
                raise conflict_for(ended.current, "cancel") from ended
            record = ended.current  # the worker saw the stop request and ended the run for it
        self.orchestrator.stop(execution_name(record), RunStatus.CANCELLED.value)
        self._cancel_children(tenant_id, run_id)
        return self.view(record)

    def _cancel_children(self, tenant_id: str, run_id: str) -> None:
        """A durable run's child runs (context.invoke) end with it."""
        from agent_runtime.engine.durable.children import open_children

        for child_id in open_children(self.store.operations, run_id):
            with contextlib.suppress(Conflict, NotFound):
                self.cancel(tenant_id, child_id)

    def _request_stop(self, tenant_id: str, run_id: str) -> None:
        """Mark the run to stop, from the status this cancel saw: the one place a cancel and an answer
        to the run's checkpoint meet, so exactly one of them wins. An answer that committed first moved
        the run from waiting_for_input to running: the cancel is a 409. A mark that landed first makes
        the answer a 409 (it commits only on a run with no stop mark)."""
        for _ in range(STOP_ATTEMPTS):
            seen = self.record(tenant_id, run_id)  # 404 for runs of other tenants
            if seen.status not in ACTIVE_STATUSES:
                raise conflict_for(seen, "cancel")
            if seen.resuming:  # answered while waiting, and no worker has it yet: the answer won
                raise Conflict(
                    f"cannot cancel run {run_id}: its checkpoint {seen.resuming} was answered and it is "
                    "resuming",
                    status_now=seen.status,
                )
            if self.store.runs.request_stop(run_id, RunStatus.CANCELLED.value, status=seen.status):
                return
            now = self.record(tenant_id, run_id)
            if seen.status == RunStatus.WAITING_FOR_INPUT and now.status == RunStatus.RUNNING:
                raise Conflict(
                    f"cannot cancel run {run_id}: its checkpoint was answered first",
                    status_now=now.status,
                )
        raise Conflict(f"run {run_id} kept changing while it was cancelled; cancel again")

    def delete(self, tenant_id: str, run_id: str) -> None:
        """Cancel the run if it is active, then delete it with everything in its partition."""
        run = self.get(tenant_id, run_id)
        if not run.terminal:
            with contextlib.suppress(Conflict):  # it ended meanwhile
                self.cancel(tenant_id, run_id)
        self.store.runs.delete(run_id)


def _check_headers(url: str | None, headers: Mapping[str, str]) -> None:
    if headers and url is None:
        raise BadRequest(
            "callback headers need a callback URL",
            errors=[{"field": "callback_headers", "message": "no callback URL"}],
        )
    validate_callback_headers(headers)


def _has_metadata(record: RunRecord, wanted: Mapping[str, str]) -> bool:
    metadata = json.loads(record.metadata)
    return all(metadata.get(key) == value for key, value in wanted.items())


def conflict_for(current: RunRecord, action: str) -> Conflict:
    return Conflict(
        f"cannot {action} run {current.run_id}: it is {current.status}", status_now=current.status
    )

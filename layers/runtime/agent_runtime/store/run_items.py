"""Run items: `RUN#<run_id> / META`, in the tenant's listing indexes.

Every change to a run goes through `commit`: one transaction that updates the run item under an
optimistic version guard and appends its events with the next gap-free sequence numbers (plus any
further entries the change needs, e.g. a checkpoint's transition), all or nothing. A caller that holds
the run as it last read or wrote it passes it as `seen`: the commit decides on it without reading, and
reads only when the guard says the run moved on since.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any, Final

from agent_runtime.clock import epoch_seconds, now_iso
from agent_runtime.store import keys, schema, usage_meter
from agent_runtime.store.dynamo import Table, decode_cursor, encode_cursor
from agent_runtime.store.errors import (
    ChangedMeanwhile,
    ConditionFailed,
    EntryConditionFailed,
    InvalidCursor,
    ItemNotFound,
    KeyTaken,
    Transient,
)
from agent_runtime.store.event_items import EventItems, NewEvent
from agent_runtime.store.payloads import to_json

COMMIT_ATTEMPTS = 8
# Fields written without moving the version (add_model_usage, park, wake): the version guard can't vouch
# for a held record's values of these, so a commit that expects one of them reads the run first.
UNVERSIONED_FIELDS: Final = frozenset({"usage_models", "wake_marker", "wake_token"})


class RunStatus(StrEnum):
    """A run's status, as stored. The one spelling of each: the transitions between them are
    engine/lifecycle.py's. A member equals its string, so a stored status compares to it directly."""

    QUEUED = "queued"
    RUNNING = "running"
    WAITING_FOR_INPUT = "waiting_for_input"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


# Where a run ends: nothing moves it on from these (engine/lifecycle.py checks its transitions agree).
TERMINAL_STATUSES: Final = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT}
)
# Every other status: the run is not over, and it is in the sweep index (the reconciler's candidates).
ACTIVE_STATUSES: Final = frozenset(RunStatus) - TERMINAL_STATUSES


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    tenant_id: str
    status: str
    workflow_name: str
    workflow_version: str
    schema_hash: str
    input: str  # JSON text or a claim-check reference (Payloads.dump)
    config: str
    metadata: str
    callback_url: str | None
    created_at: str
    updated_at: str
    output: str | None = None
    error: str | None = None
    version: int = 0
    event_seq: int = 0
    next_step: int = 0
    # Failed attempts of step `next_step` so far (its retry policy: workflows/sdk.py RetryPolicy).
    step_attempt: int = 0
    state: str = "{}"
    results: str = "{}"
    # The door that created the run ("v1", "acp", ...): its formatter shapes the run's webhooks.
    protocol: str = "v1"
    thread_id: str | None = None
    # Creation options of that door, kept to echo them back (JSON).
    protocol_options: str = "{}"
    # Headers sent with every webhook of the run (JSON object; write-only: engine/webhooks/headers.py).
    callback_headers: str | None = field(default=None, repr=False)
    # Set by a cancel before it ends the run: the worker's next commit sees it and stops, so a busy
    # run never out-writes its cancel (RunItems.request_stop).
    stop_requested: str | None = None
    # The checkpoint whose answer resumed the run, until a worker takes it up: a cancel meanwhile is a
    # 409, so of an answer and a cancel racing on a waiting run exactly one wins (engine/runs.py).
    resuming: str | None = None
    # The name of the run's current Step Functions execution; None: the first one, named by the run id.
    # The reconciler re-drives a run whose execution was lost under a new name (engine/reconcile.py).
    execution: str | None = None
    redrives: int = 0
    # Durable runs (engine/durable/): the run that started this one with `context.invoke`, if any.
    parent_run_id: str | None = None
    # Its model budget, {"max_cost_usd", "max_tokens"} (JSON; engine/budgets.py), if it has one.
    budget: str | None = None
    # Set anew by whatever the parked run waits for (an answer, a child's end): a park that finds it
    # changed goes on at once. The parked execution's task token, which such a change resumes.
    wake_marker: str | None = None
    wake_token: str | None = field(default=None, repr=False)
    # Of those, re-drives of a run parked on a person's checkpoint (a restart lost its execution, not a
    # fault of its own): not counted against the reconciler's limit.
    parked_redrives: int = 0
    # What the run used (store/usage_meter.py): grown by its commits with ADD, priced when read.
    usage_transitions: int = 0
    usage_lambda_invocations: int = 0
    usage_lambda_mb_ms: int = 0
    usage_lambda_ms: int = 0
    usage_express_executions: int = 0
    usage_write_units: int = 0
    usage_read_units: int = 0
    usage_bytes_stored: int = 0
    usage_events: int = 0
    usage_operations: int = 0
    # Its model calls' tokens per model id (JSON, usage_meter.MODELS_ATTRIBUTE): RunItems.add_model_usage.
    usage_models: str = "{}"

    def usage(self) -> dict[str, int]:
        return {name: getattr(self, usage_meter.attribute(name)) for name in usage_meter.FIELDS}

    def model_usage(self) -> usage_meter.ModelCounts:
        return usage_meter.models_of(self.usage_models)


_FIELDS = frozenset(f.name for f in fields(RunRecord))
_NONE_WHEN_ABSENT = {
    f.name: None for f in fields(RunRecord) if f.default is MISSING and f.default_factory is MISSING
}


def record_from(values: Mapping[str, Any]) -> RunRecord:
    # A None field is not stored (RunItems._meta): one with no default reads as None.
    return RunRecord(**{**_NONE_WHEN_ABSENT, **{k: v for k, v in values.items() if k in _FIELDS}})


def _listing(tenant_id: str, status: str | None, workflow: str | None) -> tuple[schema.Index, str]:
    """The index and partition value a listing of runs reads."""
    if status is not None:
        return schema.GSI_STATUS, keys.tenant_runs_in_status(tenant_id, status)
    if workflow is not None:
        return schema.GSI_WORKFLOW, keys.tenant_runs_of_workflow(tenant_id, workflow)
    return schema.GSI_TENANT, keys.tenant_runs(tenant_id)


class RunItems:
    def __init__(self, table: Table, events: EventItems, meter: usage_meter.Meter | None = None) -> None:
        self.table = table
        self.events = events
        self.meter = meter  # the invocation's, in a worker: its run's commits fold it in

    def _meta(self, record: RunRecord) -> dict[str, Any]:
        return {
            # An absent attribute reads as its default (record_from): None ones aren't stored, since every
            # byte of the run item is billed again by each of its commits (store/usage_meter.py).
            # vars, not asdict: every field is a str, an int or None, and asdict's deep copy of each
            # was most of our own CPU in a commit (80 us a call, two or three calls a transaction).
            **{k: v for k, v in vars(record).items() if v is not None},
            **keys.run(record.run_id),
            schema.GSI_TENANT.partition_key: keys.tenant_runs(record.tenant_id),
            schema.GSI_STATUS.partition_key: keys.tenant_runs_in_status(record.tenant_id, record.status),
            schema.GSI_WORKFLOW.partition_key: keys.tenant_runs_of_workflow(
                record.tenant_id, record.workflow_name
            ),
            schema.INDEX_SORT_KEY: keys.created_key(record.created_at, record.run_id),
            **self._sweep(record),
        }

    @staticmethod
    def _sweep(record: RunRecord) -> dict[str, str]:
        if record.status not in ACTIVE_STATUSES:
            return {}
        return {schema.GSI_SWEEP.partition_key: keys.sweep(keys.SWEEP_RUNS, record.run_id)}

    def create(
        self,
        record: RunRecord,
        first_event: NewEvent,
        idempotency: tuple[str, str] | None,
        extra_entries: Sequence[dict[str, Any]] = (),
    ) -> RunRecord:
        """Store a new run with its first event, and its idempotency key if any, all or nothing.

        KeyTaken when the key already names a run (whatever the body was); EntryConditionFailed
        when one of `extra_entries` fails its condition."""
        record = replace(record, event_seq=1, version=1)
        entries: list[dict[str, Any]] = [
            self.table.put_entry(self._meta(record), condition="attribute_not_exists(PK)"),
            *self.events.page_entries(
                record.tenant_id,
                record.run_id,
                1,
                [first_event],
                record.created_at,
                hook=record.callback_url is not None,
            ),
            *extra_entries,
        ]
        if idempotency is not None:
            key, fingerprint = idempotency
            now = epoch_seconds()
            entries.append(
                self.table.put_entry(
                    {
                        **keys.idempotency(record.tenant_id, key),
                        "tenant_id": record.tenant_id,
                        "run_id": record.run_id,
                        "fingerprint": fingerprint,
                        schema.TTL_ATTRIBUTE: now + self.idempotency_ttl_seconds(),
                    },
                    # An expired key (TTL deletes lazily) may be taken again.
                    condition="attribute_not_exists(PK) OR expires_at < :now",
                    values={":now": now},
                )
            )
        # The run's first usage: this transaction (store/usage_meter.py).
        meta_size = usage_meter.item_size(self._meta(record))
        own = usage_meter.transaction_usage(entries[1:], meta_size)
        own["bytes_stored"] += meta_size
        record = _with_usage(record, {**own, "events": 1})
        entries[0] = self.table.put_entry(self._meta(record), condition="attribute_not_exists(PK)")
        for attempt in range(COMMIT_ATTEMPTS):
            reasons = self.table.transact(entries)
            if reasons is None:
                return record
            if idempotency is not None:
                existing = self.idempotent_run(record.tenant_id, idempotency[0])
                if existing is not None:
                    raise KeyTaken(*existing)
            _raise_entry_failure(reasons, first_extra=2, count=len(extra_entries))
            time.sleep(0.01 * (attempt + 1))
        raise Transient(f"could not create run {record.run_id}: contention")

    @staticmethod
    def idempotency_ttl_seconds() -> int:
        from agent_runtime.config import settings

        return settings().idempotency_ttl_seconds

    def idempotent_run(self, tenant_id: str, key: str) -> tuple[str, str] | None:
        """(run_id, fingerprint) of the run an unexpired idempotency key names."""
        values = self.table.get(keys.idempotency(tenant_id, key))
        if values is None or values[schema.TTL_ATTRIBUTE] < epoch_seconds():
            return None
        return str(values["run_id"]), str(values["fingerprint"])

    def get(self, run_id: str) -> RunRecord:
        values = self.table.get(keys.run(run_id))
        if values is None:
            raise ItemNotFound(f"run {run_id!r} does not exist")
        return record_from(values)

    def commit(
        self,
        run_id: str,
        *,
        events: Sequence[NewEvent] = (),
        updates: Mapping[str, Any] | None = None,
        expect_status: Collection[str] | None = None,
        expect: Mapping[str, Any] | None = None,
        extra_entries: Sequence[dict[str, Any]] = (),
        seen: RunRecord | None = None,
    ) -> RunRecord:
        """Apply `updates` to the run and append `events`, atomically, if the run still satisfies the
        expectations. ChangedMeanwhile (with the current run) when it does not; EntryConditionFailed
        naming which of `extra_entries` failed its condition.

        `seen`: the run as the caller last read or committed it. The first try decides on it with no
        read; the version guard fails if the run moved on since, and the next try reads it. Its
        UNVERSIONED_FIELDS may be stale: the record returned carries them as `seen` had them."""
        updates = dict(updates or {})
        unknown = set(updates) - _FIELDS
        if unknown:
            raise ValueError(f"unknown run fields {sorted(unknown)}")
        if seen is not None and (seen.run_id != run_id or UNVERSIONED_FIELDS.intersection(expect or {})):
            seen = None
        # What the invocation did for the run since its last commit rides on this one (usage_meter.py).
        meter = usage_meter.for_run(self.meter, run_id)
        pending = meter.take() if meter is not None else {}
        try:
            return self._commit(run_id, events, updates, expect_status, expect, extra_entries, pending, seen)
        except BaseException:
            if meter is not None:
                meter.give_back(pending)
            raise

    def _commit(
        self,
        run_id: str,
        events: Sequence[NewEvent],
        updates: dict[str, Any],
        expect_status: Collection[str] | None,
        expect: Mapping[str, Any] | None,
        extra_entries: Sequence[dict[str, Any]],
        pending: dict[str, int],
        seen: RunRecord | None,
    ) -> RunRecord:
        for attempt in range(COMMIT_ATTEMPTS):
            # A `seen` that fails the expectations may just be stale: the run as it is decides then.
            held = attempt == 0 and seen is not None and _satisfies(seen, expect_status, expect)
            current = seen if held and seen is not None else self.get(run_id)
            current_size = usage_meter.item_size(self._meta(current))
            if not held:
                usage_meter.add(pending, {"read_units": usage_meter.read_units(current_size)})
                if expect_status is not None and current.status not in expect_status:
                    raise ChangedMeanwhile(current, f"run {run_id} is {current.status}")
                if not _satisfies(current, None, expect):
                    raise ChangedMeanwhile(current, f"run {run_id} moved on")
            now = now_iso()
            new = replace(
                current,
                **updates,
                version=current.version + 1,
                event_seq=current.event_seq + len(events),
                updated_at=now,
            )
            changed = {
                k: getattr(new, k)
                for k in (*updates, "version", "event_seq", "updated_at")
                if getattr(new, k) is not None
            }
            removed: list[str] = [k for k in updates if getattr(new, k) is None]
            if "status" in updates:
                changed[schema.GSI_STATUS.partition_key] = keys.tenant_runs_in_status(
                    new.tenant_id, new.status
                )
                changed.update(self._sweep(new))
                if new.status not in ACTIVE_STATUSES:
                    removed.append(schema.GSI_SWEEP.partition_key)
            puts = self.events.page_entries(
                new.tenant_id, run_id, current.event_seq + 1, events, now, hook=new.callback_url is not None
            )
            own = usage_meter.transaction_usage(
                [*puts, *extra_entries], max(current_size, usage_meter.item_size(self._meta(new)))
            )
            delta = usage_meter.add({**pending, "events": len(events)}, own)
            update = self.table.update_entry(
                keys.run(run_id),
                changed,
                condition="#version = :expected_version",
                names={"#version": "version"},
                values={":expected_version": current.version},
                remove=removed,
                add={usage_meter.attribute(name): value for name, value in delta.items() if value},
            )
            reasons = self.table.transact([update, *puts, *extra_entries])
            if reasons is None:
                return _with_usage(new, delta)
            usage_meter.add(pending, {"write_units": own["write_units"]})  # a cancelled one is billed too
            if not (held and reasons[0] == "ConditionalCheckFailed"):
                # (an entry failing beside a stale `seen`'s guard is judged again on the run as it is)
                _raise_entry_failure(reasons, first_extra=1 + len(puts), count=len(extra_entries))
            time.sleep(0.005 * (attempt + 1))
        raise Transient(f"could not commit to run {run_id}: contention")

    def add_model_usage(
        self, run_id: str, model_id: str, counts: Mapping[str, int]
    ) -> usage_meter.ModelCounts:
        """Add one model call's tokens to the run's usage of `model_id`, whatever the run's status (a
        cancelled run's call was still billed). A conditional write on the value read, so concurrent
        calls never lose each other's counts; it leaves the run's version alone, so it never races the
        run's commits. ItemNotFound if the run doesn't exist. Returns the run's model usage after."""
        meter = usage_meter.for_run(self.meter, run_id)
        for attempt in range(COMMIT_ATTEMPTS):
            values = self.table.get(keys.run(run_id))
            if values is None:
                raise ItemNotFound(f"run {run_id!r} does not exist")
            size = usage_meter.item_size(values)
            raw = values.get(usage_meter.MODELS_ATTRIBUTE)
            models = usage_meter.add_models(usage_meter.models_of(raw), {model_id: counts})
            new = json.dumps(models, sort_keys=True, separators=(",", ":"))
            guard = "attribute_exists(PK) AND " + (
                "attribute_not_exists(#models)" if raw is None else "#models = :before"
            )
            try:
                self.table.update(
                    keys.run(run_id),
                    {usage_meter.MODELS_ATTRIBUTE: new},
                    condition=guard,
                    names={"#models": usage_meter.MODELS_ATTRIBUTE},
                    values={} if raw is None else {":before": raw},
                )
            except ConditionFailed:
                if meter is not None:
                    meter.give_back({"read_units": usage_meter.read_units(size), "write_units": 1})
                time.sleep(0.005 * (attempt + 1))
                continue
            if meter is not None:  # this read and write ride on the run's next commit
                units = usage_meter.write_units(size + len(new) - len(raw or ""), transactional=False)
                meter.give_back({"read_units": usage_meter.read_units(size), "write_units": units})
            return models
        raise Transient(f"could not add model usage to run {run_id}: contention")

    def list_for_tenant(
        self,
        tenant_id: str,
        *,
        status: str | None,
        workflow: str | None,
        limit: int,
        cursor: str | None,
        metadata: Mapping[str, str] | None = None,
    ) -> tuple[list[RunRecord], str | None]:
        """Runs of one tenant, newest first, optionally filtered by status and/or workflow name, and by
        top-level metadata string values (a filter on the stored JSON text: callers check the decoded
        metadata too, since the same pair nested deeper would also match). A filtered page may hold
        fewer than `limit` runs; its cursor goes on."""
        index, partition = _listing(tenant_id, status, workflow)
        conditions: list[str] = []
        values: dict[str, Any] = {}
        if status is not None and workflow is not None:
            conditions.append("workflow_name = :wf")
            values[":wf"] = workflow
        for n, (key, value) in enumerate(sorted((metadata or {}).items())):
            conditions.append(f"contains(metadata, :m{n})")
            values[f":m{n}"] = to_json({key: value})[1:-1]  # '"key":"value"' as the JSON text holds it
        items, next_cursor = list_index(
            self.table,
            index,
            partition,
            limit=limit,
            cursor=cursor,
            newest_first=True,
            filter_expression=" AND ".join(conditions) or None,
            filter_values=values or None,
        )
        return [record_from(values) for values in items], next_cursor

    def cursor_after(self, record: RunRecord, *, status: str | None, workflow: str | None) -> str:
        """The cursor that goes on right after `record` in that listing (its index key, as DynamoDB's
        LastEvaluatedKey would be had the page ended there)."""
        index, partition = _listing(record.tenant_id, status, workflow)
        return index_cursor(keys.run(record.run_id), index, partition, record.created_at, record.run_id)

    def request_stop(self, run_id: str, reason: str, *, status: str) -> bool:
        """Mark the run to stop if it is still in `status`: one atomic write, no read first, so it wins
        against a busy run's writes at once. It moves the version too, so a commit already on its way
        (an answer, a batch of events) fails its guard, re-reads and sees the mark. False if the run's
        status is no longer `status`."""
        try:
            self.table.update_expression(
                keys.run(run_id),
                "SET stop_requested = :reason, #version = #version + :one",
                condition="#status = :status",
                names={"#status": "status", "#version": "version"},
                values={":reason": reason, ":one": 1, ":status": status},
            )
            return True
        except ConditionFailed:
            return False

    def park(self, run_id: str, marker: str | None, task_token: str) -> RunRecord | None:
        """Keep the parked execution's task token, if nothing changed since the invocation that parked
        read `marker`: the run as the write left it. None if something did, and the caller goes on at
        once."""
        condition = "wake_marker = :marker" if marker is not None else "attribute_not_exists(wake_marker)"
        try:
            item = self.table.update_expression(
                keys.run(run_id),
                "SET wake_token = :token",
                condition=condition,
                values={":token": task_token, **({":marker": marker} if marker is not None else {})},
                return_item=True,
            )
        except ConditionFailed:
            return None
        assert item is not None  # return_item
        return record_from(item)

    def wake(self, run_id: str) -> str | None:
        """Mark that something the run may wait for changed; the token of its parked execution, if any
        (a park after this mark finds it and goes on by itself). One write: the token comes back with it."""
        item = self.table.update_expression(
            keys.run(run_id),
            "SET wake_marker = :marker",
            condition="attribute_exists(PK)",
            values={":marker": uuid.uuid4().hex},
            return_item=True,
        )
        return None if item is None else item.get("wake_token")

    def active_ids(self, shard: str) -> Iterator[str]:
        """The ids of the active runs in one sweep partition (keys only, eventually consistent)."""
        for item in sweep_keys(self.table, keys.SWEEP_RUNS, shard):
            yield str(item[schema.PARTITION_KEY])[len(keys.RUN_PREFIX) :]

    def usage_between(
        self, tenant_id: str, workflow: str | None, start: str, end: str, *, max_runs: int, cursor: str | None
    ) -> tuple[list[dict[str, int]], usage_meter.ModelCounts, str | None]:
        """The usage of the tenant's runs (of one workflow, if given) created in [start, end) (created_at
        strings), oldest first, at most `max_runs`; their model usage summed; and the cursor that goes
        on if more are left.
        InvalidCursor if the cursor was not issued for this listing."""
        index, partition = _listing(tenant_id, None, workflow)
        start_key: dict[str, Any] | None = _cursor_start(cursor, index, partition)
        found: list[dict[str, int]] = []
        models: usage_meter.ModelCounts = {}
        while True:
            page = self.table.query_page(
                f"{index.partition_key} = :pk AND {schema.INDEX_SORT_KEY} BETWEEN :lo AND :hi",
                # "<created_at>#<run_id>" sorts after its created_at: BETWEEN start AND end is [start, end).
                {":pk": partition, ":lo": start, ":hi": end},
                index=index.name,
                limit=max_runs - len(found),
                start=start_key,
                projection=", ".join(
                    [
                        *(usage_meter.attribute(name) for name in usage_meter.FIELDS),
                        usage_meter.MODELS_ATTRIBUTE,
                    ]
                ),
            )
            found += [usage_meter.of_item(values) for values in page.items]
            for values in page.items:
                usage_meter.add_models(
                    models, usage_meter.models_of(values.get(usage_meter.MODELS_ATTRIBUTE))
                )
            if page.last_key is None:
                return found, models, None
            if len(found) >= max_runs:
                return found, models, encode_cursor(page.last_key)
            start_key = page.last_key

    def delete(self, run_id: str) -> None:
        """Delete a run and everything in its partition (events, checkpoints, artifacts, deliveries)."""
        self.table.delete_partition(keys.run_pk(run_id))


def index_cursor(
    key: Mapping[str, str], index: schema.Index, partition: str, created_at: str, *ids: str
) -> str:
    """The cursor that goes on after the item `key` in an index listing (what LastEvaluatedKey is)."""
    return encode_cursor(
        {**key, schema.INDEX_SORT_KEY: keys.created_key(created_at, *ids), index.partition_key: partition}
    )


def list_index(
    table: Table,
    index: schema.Index,
    partition: str,
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
    filter_expression: str | None = None,
    filter_values: Mapping[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of an index partition from a client's cursor, and the cursor after it.
    InvalidCursor if the cursor was not issued for this listing."""
    start = _cursor_start(cursor, index, partition)
    page = table.query_page(
        f"{index.partition_key} = :pk",
        {":pk": partition, **(filter_values or {})},
        index=index.name,
        filter_expression=filter_expression,
        limit=limit,
        newest_first=newest_first,
        start=start,
    )
    return page.items, encode_cursor(page.last_key) if page.last_key else None


def _cursor_start(cursor: str | None, index: schema.Index, partition: str) -> dict[str, str] | None:
    """Where a listing of an index partition goes on from a client's cursor."""
    if not cursor:
        return None
    start = decode_cursor(cursor)
    expected = {schema.PARTITION_KEY, schema.SORT_KEY, schema.INDEX_SORT_KEY, index.partition_key}
    if set(start) != expected or start[index.partition_key] != partition:
        raise InvalidCursor("cursor belongs to another listing")
    return start


def sweep_keys(table: Table, kind: str, shard: str) -> Iterator[dict[str, Any]]:
    """The keys of every item in one sweep index partition, page by page."""
    partition = keys.sweep_shard(kind, shard)
    start = None
    while True:
        page = table.query_page(
            f"{schema.GSI_SWEEP.partition_key} = :pk",
            {":pk": partition},
            index=schema.GSI_SWEEP.name,
            start=start,
            projection="PK, SK",
        )
        yield from page.items
        if not page.last_key:
            return
        start = page.last_key


def _satisfies(
    record: RunRecord, expect_status: Collection[str] | None, expect: Mapping[str, Any] | None
) -> bool:
    if expect_status is not None and record.status not in expect_status:
        return False
    return not expect or all(getattr(record, k) == v for k, v in expect.items())


def _with_usage(record: RunRecord, delta: Mapping[str, int]) -> RunRecord:
    return replace(
        record,
        **{usage_meter.attribute(k): getattr(record, usage_meter.attribute(k)) + v for k, v in delta.items()},
    )


def _raise_entry_failure(reasons: list[str], *, first_extra: int, count: int) -> None:
    for index, code in enumerate(reasons[first_extra : first_extra + count]):
        if code == "ConditionalCheckFailed":
            raise EntryConditionFailed(index)

"""Runs and their events in DynamoDB.

Every change to a run goes through `commit`: one transaction that updates the run item under an
optimistic version guard and appends its events with the next gap-free sequence numbers. Readers
therefore never see a status without its event, or an event sequence with a hole.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from botocore.exceptions import ClientError

from agent_runtime import aws
from agent_runtime.clock import epoch_seconds, now_iso
from agent_runtime.config import settings
from agent_runtime.errors import BadRequest, Conflict, NotFound, TransientAwsError
from agent_runtime.models import Event, Run, RunError, WorkflowRef
from agent_runtime.store import keys, partitions, payloads
from agent_runtime.store.attrs import from_item, to_attr, to_item

COMMIT_ATTEMPTS = 8
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)


@dataclass(frozen=True)
class NewEvent:
    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    tenant_id: str
    status: str
    workflow_name: str
    workflow_version: str
    schema_hash: str
    input: str  # JSON text or a claim-check reference (payloads.dump)
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
    state: str = "{}"
    results: str = "{}"
    # Which protocol's shape webhooks carry for this run: "v1" (the Run object) or "acp" (ACP's Run).
    callback_protocol: str = "v1"
    thread_id: str | None = None
    # Protocol-specific creation options kept to echo them back (ACP: stream_mode, on_completion, ...).
    protocol_options: str = "{}"

    def to_api(self) -> Run:
        error = json.loads(self.error) if self.error else None
        return Run(
            run_id=self.run_id,
            status=self.status,  # type: ignore[arg-type]
            workflow=WorkflowRef(name=self.workflow_name, version=self.workflow_version),
            schema_hash=self.schema_hash,
            input=payloads.load(self.input),
            output=payloads.load(self.output),
            error=RunError(**error) if error else None,
            config=payloads.load(self.config),
            metadata=json.loads(self.metadata),
            callback_url=self.callback_url,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


_RECORD_FIELDS = frozenset(f.name for f in fields(RunRecord))


class GuardFailed(Exception):
    """The run was not in the state a commit expected; `current` is what it is now."""

    def __init__(self, current: RunRecord) -> None:
        super().__init__(f"run {current.run_id} is {current.status}")
        self.current = current


class ItemConditionFailed(Exception):
    """A condition on one of a commit's extra items failed (e.g. a checkpoint no longer pending)."""

    def __init__(self, index: int) -> None:
        super().__init__(f"condition on extra item {index} failed")
        self.index = index


class IdempotencyKeyReused(Exception):
    def __init__(self, run_id: str, fingerprint: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id
        self.fingerprint = fingerprint


def _table() -> str:
    return settings().table_name


def _is_cancelled_transaction(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in {
        "TransactionCanceledException",
        "TransactionConflict",
    }


def _raise_if_transient(error: ClientError) -> None:
    if error.response.get("Error", {}).get("Code") in THROTTLING_CODES:
        raise TransientAwsError(str(error)) from error


def _meta_item(record: RunRecord) -> dict[str, Any]:
    values = asdict(record)
    values.update(
        PK=keys.run_pk(record.run_id),
        SK=keys.META,
        gsi1pk=keys.tenant_key(record.tenant_id),
        gsi2pk=keys.status_key(record.tenant_id, record.status),
        gsi3pk=keys.workflow_key(record.tenant_id, record.workflow_name),
        created_key=f"{record.created_at}#{record.run_id}",
    )
    return to_item(values)


def _event_put(record: RunRecord, seq: int, event: NewEvent, created_at: str) -> dict[str, Any]:
    data = payloads.dump(record.tenant_id, record.run_id, f"event-{seq}", dict(event.data))
    item = to_item(
        {
            "PK": keys.run_pk(record.run_id),
            "SK": keys.event_sk(seq),
            "tenant_id": record.tenant_id,
            "seq": seq,
            "type": event.type,
            "data": data,
            "created_at": created_at,
        }
    )
    return {"Put": {"TableName": _table(), "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


def _record_from(item: dict[str, Any]) -> RunRecord:
    values = from_item(item)
    return RunRecord(**{k: v for k, v in values.items() if k in _RECORD_FIELDS})


def create(
    record: RunRecord,
    first_event: NewEvent,
    idempotency: tuple[str, str] | None,
    extra_items: Sequence[dict[str, Any]] = (),
) -> RunRecord:
    """Store a new run with its first event, and its idempotency key if any, all or nothing.

    Raises IdempotencyKeyReused when the key already names a run (whatever the body was).
    """
    record = replace(record, event_seq=1, version=1)
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": _table(),
                "Item": _meta_item(record),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
        _event_put(record, 1, first_event, record.created_at),
        *extra_items,
    ]
    if idempotency is not None:
        key, fingerprint = idempotency
        now = epoch_seconds()
        items.append(
            {
                "Put": {
                    "TableName": _table(),
                    "Item": to_item(
                        {
                            "PK": keys.idempotency_pk(record.tenant_id, key),
                            "SK": "IDEMPOTENCY",
                            "tenant_id": record.tenant_id,
                            "run_id": record.run_id,
                            "fingerprint": fingerprint,
                            "expires_at": now + settings().idempotency_ttl_seconds,
                        }
                    ),
                    # An expired key (TTL deletes lazily) may be taken again.
                    "ConditionExpression": "attribute_not_exists(PK) OR expires_at < :now",
                    "ExpressionAttributeValues": {":now": to_attr(now)},
                }
            }
        )
    for attempt in range(COMMIT_ATTEMPTS):
        try:
            aws.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return record
        except ClientError as error:
            _raise_if_transient(error)
            if not _is_cancelled_transaction(error):
                raise
            if idempotency is not None:
                existing = _idempotency_record(record.tenant_id, idempotency[0])
                if existing is not None:
                    raise IdempotencyKeyReused(*existing) from error
            reasons = error.response.get("CancellationReasons") or []
            for index, reason in enumerate(reasons[2 : 2 + len(extra_items)]):
                if reason.get("Code") == "ConditionalCheckFailed":
                    raise ItemConditionFailed(index) from error
            time.sleep(0.01 * (attempt + 1))
    raise TransientAwsError(f"could not create run {record.run_id}: contention")


def _idempotency_record(tenant_id: str, key: str) -> tuple[str, str] | None:
    response = aws.dynamodb().get_item(
        TableName=_table(),
        Key={"PK": to_attr(keys.idempotency_pk(tenant_id, key)), "SK": to_attr("IDEMPOTENCY")},
        ConsistentRead=True,
    )
    if "Item" not in response:
        return None
    values = from_item(response["Item"])
    if values["expires_at"] < epoch_seconds():
        return None
    return values["run_id"], values["fingerprint"]


def get(run_id: str, tenant_id: str | None) -> RunRecord:
    """The run, if it exists and belongs to `tenant_id` (None: any tenant, for internal workers)."""
    response = aws.dynamodb().get_item(
        TableName=_table(),
        Key={"PK": to_attr(keys.run_pk(run_id)), "SK": to_attr(keys.META)},
        ConsistentRead=True,
    )
    item = response.get("Item")
    if item is None:
        raise NotFound(f"run {run_id!r} does not exist")
    record = _record_from(item)
    if tenant_id is not None and record.tenant_id != tenant_id:
        # Another tenant's run is indistinguishable from a missing one.
        raise NotFound(f"run {run_id!r} does not exist")
    return record


def commit(
    run_id: str,
    *,
    events: Sequence[NewEvent] = (),
    updates: Mapping[str, Any] | None = None,
    expect_status: Collection[str] | None = None,
    expect: Mapping[str, Any] | None = None,
    extra_items: Sequence[dict[str, Any]] = (),
) -> RunRecord:
    """Apply `updates` to the run and append `events`, atomically, if the run still satisfies the
    expectations. Raises GuardFailed (with the current run) when it does not.

    `extra_items` are further TransactWriteItems entries (other items of the run) written in the same
    transaction; if one of their conditions fails, ItemConditionFailed names which.
    """
    updates = dict(updates or {})
    unknown = set(updates) - _RECORD_FIELDS
    if unknown:
        raise ValueError(f"unknown run fields {sorted(unknown)}")
    for attempt in range(COMMIT_ATTEMPTS):
        current = get(run_id, None)
        if expect_status is not None and current.status not in expect_status:
            raise GuardFailed(current)
        if expect and any(getattr(current, k) != v for k, v in expect.items()):
            raise GuardFailed(current)
        now = now_iso()
        new = replace(
            current,
            **updates,
            version=current.version + 1,
            event_seq=current.event_seq + len(events),
            updated_at=now,
        )
        changed = {k: getattr(new, k) for k in (*updates, "version", "event_seq", "updated_at")}
        if "status" in updates:
            changed["gsi2pk"] = keys.status_key(new.tenant_id, new.status)
        names = {f"#a{i}": name for i, name in enumerate(changed)}
        values = {f":v{i}": to_attr(value) for i, value in enumerate(changed.values())}
        values[":expected_version"] = to_attr(current.version)
        names["#version"] = "version"
        update = {
            "Update": {
                "TableName": _table(),
                "Key": {"PK": to_attr(keys.run_pk(run_id)), "SK": to_attr(keys.META)},
                "UpdateExpression": "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(changed))),
                "ConditionExpression": "#version = :expected_version",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        puts = [_event_put(new, current.event_seq + 1 + i, event, now) for i, event in enumerate(events)]
        try:
            aws.dynamodb().transact_write_items(TransactItems=[update, *puts, *extra_items])  # type: ignore[list-item]
            return new
        except ClientError as error:
            _raise_if_transient(error)
            if not _is_cancelled_transaction(error):
                raise
            reasons = error.response.get("CancellationReasons") or []
            first_extra = 1 + len(puts)
            for index, reason in enumerate(reasons[first_extra:]):
                if reason.get("Code") == "ConditionalCheckFailed":
                    raise ItemConditionFailed(index) from error
            time.sleep(0.005 * (attempt + 1))
    raise TransientAwsError(f"could not commit to run {run_id}: contention")


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(from_item(dict(last_key))).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ValueError("cursor must name string keys")
        return to_item(values)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadRequest(
            "cursor is not valid", errors=[{"field": "cursor", "message": "not a cursor this API issued"}]
        ) from error


def paged_query(query: dict[str, Any], partition: tuple[str, str], cursor: str | None) -> Any:
    """Run a listing Query from a client's cursor; a cursor that is not for this listing is a 400."""
    if cursor:
        start = decode_cursor(cursor)
        if (
            set(start) != {"PK", "SK", "created_key", partition[0]}
            or from_item(start)[partition[0]] != partition[1]
        ):
            raise BadRequest(
                "cursor belongs to another listing",
                errors=[{"field": "cursor", "message": "use the cursor with the filters it came from"}],
            )
        query = {**query, "ExclusiveStartKey": start}
    try:
        return aws.dynamodb().query(**query)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationException" and cursor:
            raise BadRequest(
                "cursor is not valid", errors=[{"field": "cursor", "message": "not a cursor this API issued"}]
            ) from error
        raise


def _listing(tenant_id: str, status: str | None, workflow: str | None) -> tuple[str, tuple[str, str]]:
    """The index and partition (attribute, value) a listing of runs reads."""
    if status is not None:
        return keys.GSI_STATUS, ("gsi2pk", keys.status_key(tenant_id, status))
    if workflow is not None:
        return keys.GSI_WORKFLOW, ("gsi3pk", keys.workflow_key(tenant_id, workflow))
    return keys.GSI_TENANT, ("gsi1pk", keys.tenant_key(tenant_id))


def cursor_after(record: RunRecord, *, status: str | None, workflow: str | None) -> str:
    """The cursor that goes on right after `record` in that listing (its index key, as DynamoDB's
    LastEvaluatedKey would be had the page ended there)."""
    _, (attribute, partition) = _listing(record.tenant_id, status, workflow)
    last = {
        "PK": keys.run_pk(record.run_id),
        "SK": keys.META,
        keys.LIST_SORT_ATTR: f"{record.created_at}#{record.run_id}",
        attribute: partition,
    }
    return encode_cursor(to_item(last))


def list_for_tenant(
    tenant_id: str, *, status: str | None, workflow: str | None, limit: int, cursor: str | None
) -> tuple[list[RunRecord], str | None]:
    """Runs of one tenant, newest first, optionally filtered by status and/or workflow name."""
    filter_expression: str | None = None
    values: dict[str, Any] = {}
    index, partition = _listing(tenant_id, status, workflow)
    if status is not None and workflow is not None:
        filter_expression = "workflow_name = :wf"
        values[":wf"] = to_attr(workflow)
    values[":pk"] = to_attr(partition[1])
    query: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": index,
        "KeyConditionExpression": f"{partition[0]} = :pk",
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if filter_expression:
        query["FilterExpression"] = filter_expression
    response = paged_query(query, partition, cursor)
    records = [_record_from(item) for item in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return records, encode_cursor(last) if last else None


def events_after(run_id: str, after: int, limit: int) -> list[Event]:
    """Up to `limit` events of the run with sequence numbers above `after`, in order."""
    response = aws.dynamodb().query(
        TableName=_table(),
        KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
        ExpressionAttributeValues={
            ":pk": to_attr(keys.run_pk(run_id)),
            ":lo": to_attr(keys.event_sk(after + 1)),
            ":hi": to_attr(keys.event_sk(10**keys.SEQ_WIDTH - 1)),
        },
        ConsistentRead=True,
        Limit=limit,
    )
    events = []
    for item in response.get("Items", []):
        values = from_item(item)
        events.append(
            Event(
                id=values["seq"],
                run_id=run_id,
                type=values["type"],
                data=payloads.load(values["data"]),
                created_at=values["created_at"],
            )
        )
    return events


def conflict_for(current: RunRecord, action: str) -> Conflict:
    return Conflict(
        f"cannot {action} run {current.run_id}: it is {current.status}", status_now=current.status
    )


def delete(run_id: str) -> None:
    """Delete a run and everything in its partition (events, checkpoints, artifacts' metadata)."""
    partitions.delete_partition(_table(), to_attr(keys.run_pk(run_id)))

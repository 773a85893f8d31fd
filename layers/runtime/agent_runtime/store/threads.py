"""Threads (ACP): `THREAD#<tenant>#<id> / META` holds metadata, values, messages and the thread's current
run; `.../ STATE#<at>#<checkpoint>` is its history; `.../ RUN#<at>#<run_id>` lists its runs. Clients
choose thread ids, so each tenant has its own: one tenant can neither find nor take another's ids.
A thread's status is derived from its current run, so it can never disagree with it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from botocore.exceptions import ClientError

from agent_runtime import aws
from agent_runtime.clock import now_iso
from agent_runtime.config import settings
from agent_runtime.errors import Conflict, NotFound
from agent_runtime.store import keys, partitions, payloads
from agent_runtime.store.attrs import from_item, to_attr, to_item


@dataclass(frozen=True)
class ThreadRecord:
    thread_id: str
    tenant_id: str
    metadata: str  # JSON
    values: str  # JSON or claim-check reference
    messages: str  # JSON or claim-check reference
    created_at: str
    updated_at: str
    current_run_id: str | None = None


_FIELDS = frozenset(f.name for f in fields(ThreadRecord))


def pk(tenant_id: str, thread_id: str) -> str:
    return f"THREAD#{tenant_id}#{thread_id}"  # unambiguous: thread ids never contain a hash sign


def _table() -> str:
    return settings().table_name


def _meta_key(tenant_id: str, thread_id: str) -> dict[str, Any]:
    return {"PK": to_attr(pk(tenant_id, thread_id)), "SK": to_attr(keys.META)}


def _from(item: dict[str, Any]) -> ThreadRecord:
    return ThreadRecord(**{k: v for k, v in from_item(item).items() if k in _FIELDS})


def _meta_values(record: ThreadRecord) -> dict[str, Any]:
    return {
        **asdict(record),
        "PK": pk(record.tenant_id, record.thread_id),
        "SK": keys.META,
        "gsi1pk": f"TENANT#{record.tenant_id}#THREADS",
        "created_key": f"{record.created_at}#{record.thread_id}",
    }


def new(
    tenant_id: str,
    thread_id: str,
    metadata: dict[str, Any],
    values: Any = None,
    messages: list[Any] | None = None,
) -> ThreadRecord:
    now = now_iso()
    return ThreadRecord(
        thread_id=thread_id,
        tenant_id=tenant_id,
        metadata=json.dumps(metadata),
        values=payloads.dump(tenant_id, thread_id, "thread-values", values),
        messages=payloads.dump(tenant_id, thread_id, "thread-messages", messages or []),
        created_at=now,
        updated_at=now,
    )


def create(record: ThreadRecord) -> bool:
    """Store a new thread; False if one with that id exists already."""
    try:
        aws.dynamodb().put_item(
            TableName=_table(),
            Item=to_item(_meta_values(record)),
            ConditionExpression="attribute_not_exists(PK)",
        )
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


def get(thread_id: str, tenant_id: str) -> ThreadRecord:
    response = aws.dynamodb().get_item(
        TableName=_table(), Key=_meta_key(tenant_id, thread_id), ConsistentRead=True
    )
    if "Item" not in response or from_item(response["Item"])["tenant_id"] != tenant_id:
        raise NotFound(f"thread {thread_id!r} does not exist")
    return _from(response["Item"])


def list_for_tenant(tenant_id: str, max_items: int) -> list[ThreadRecord]:
    query = {
        "TableName": _table(),
        "IndexName": keys.GSI_TENANT,
        "KeyConditionExpression": "gsi1pk = :pk",
        "ExpressionAttributeValues": {":pk": to_attr(f"TENANT#{tenant_id}#THREADS")},
        "ScanIndexForward": False,
    }
    return [_from(item) for item in itertools.islice(partitions.query_items(query), max_items)]


def claim(record: ThreadRecord, run_id: str) -> dict[str, Any]:
    """Transaction entry making `run_id` the thread's current run, if the current run is still the
    one the caller checked (so two runs can't both take an idle thread)."""
    values = {":run": to_attr(run_id), ":now": to_attr(now_iso())}
    if record.current_run_id:
        condition = "attribute_exists(PK) AND current_run_id = :previous"
        values[":previous"] = to_attr(record.current_run_id)
    else:
        condition = (
            "attribute_exists(PK) AND "
            "(attribute_not_exists(current_run_id) OR attribute_type(current_run_id, :null))"
        )
        values[":null"] = to_attr("NULL")
    return {
        "Update": {
            "TableName": _table(),
            "Key": _meta_key(record.tenant_id, record.thread_id),
            "UpdateExpression": "SET current_run_id = :run, updated_at = :now",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
    }


def run_pointer(record: ThreadRecord, run_id: str, created_at: str) -> dict[str, Any]:
    item = {
        "PK": pk(record.tenant_id, record.thread_id),
        "SK": f"RUN#{created_at}#{run_id}",
        "tenant_id": record.tenant_id,
        "run_id": run_id,
    }
    return {"Put": {"TableName": _table(), "Item": to_item(item)}}


def _newest_first(
    tenant_id: str, thread_id: str, prefix: str, page_size: int | None = None
) -> Iterator[dict[str, Any]]:
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": to_attr(pk(tenant_id, thread_id)), ":prefix": to_attr(prefix)},
        "ScanIndexForward": False,
        "ConsistentRead": True,
    }
    if page_size:
        query["Limit"] = page_size
    return (from_item(item) for item in partitions.query_items(query))


def run_ids(tenant_id: str, thread_id: str) -> list[str]:
    return [item["run_id"] for item in _newest_first(tenant_id, thread_id, "RUN#")]


def state_items(
    record: ThreadRecord,
    checkpoint_id: str,
    values: Any,
    messages: list[Any],
    metadata: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Transaction entries writing a new state of the thread: its values and messages, plus a
    history entry. The thread must still exist."""
    now = now_iso()
    stored_values = payloads.dump(record.tenant_id, record.thread_id, f"values-{checkpoint_id}", values)
    stored_messages = payloads.dump(record.tenant_id, record.thread_id, f"messages-{checkpoint_id}", messages)
    names = {"#values": "values", "#messages": "messages"}
    update = {
        "Update": {
            "TableName": _table(),
            "Key": _meta_key(record.tenant_id, record.thread_id),
            "UpdateExpression": "SET #values = :values, #messages = :messages, updated_at = :now",
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":values": to_attr(stored_values),
                ":messages": to_attr(stored_messages),
                ":now": to_attr(now),
            },
        }
    }
    history = {
        "PK": pk(record.tenant_id, record.thread_id),
        "SK": f"STATE#{now}#{checkpoint_id}",
        "tenant_id": record.tenant_id,
        "checkpoint_id": checkpoint_id,
        "values": stored_values,
        "messages": stored_messages,
        "metadata": json.dumps(metadata or {}),
        "created_at": now,
    }
    return [update, {"Put": {"TableName": _table(), "Item": to_item(history)}}]


def history(tenant_id: str, thread_id: str, limit: int) -> list[dict[str, Any]]:
    return list(itertools.islice(_newest_first(tenant_id, thread_id, "STATE#", page_size=limit), limit))


def update_metadata(record: ThreadRecord, metadata: dict[str, Any]) -> ThreadRecord:
    merged = {**json.loads(record.metadata), **metadata}
    now = now_iso()
    aws.dynamodb().update_item(
        TableName=_table(),
        Key=_meta_key(record.tenant_id, record.thread_id),
        UpdateExpression="SET metadata = :m, updated_at = :now",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues={":m": to_attr(json.dumps(merged)), ":now": to_attr(now)},
    )
    return replace(record, metadata=json.dumps(merged), updated_at=now)


def transact(items: list[dict[str, Any]]) -> None:
    try:
        aws.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            raise Conflict("the thread changed meanwhile; try again") from error
        raise


def delete(tenant_id: str, thread_id: str) -> None:
    """Delete the thread and its history and run pointers (not the runs themselves)."""
    partitions.delete_partition(_table(), to_attr(pk(tenant_id, thread_id)))

"""Checkpoint items: `RUN#<run_id> / CKPT#<checkpoint_id>`, in the tenant's inbox index while pending.

The task token that resumes the state machine is stored here and never leaves this module except to
Step Functions: no endpoint returns it and nothing logs it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from agent_runtime import aws
from agent_runtime.config import settings
from agent_runtime.errors import NotFound
from agent_runtime.store import keys, partitions, payloads
from agent_runtime.store.attrs import from_item, to_attr, to_item
from agent_runtime.store.runs import encode_cursor, paged_query


@dataclass(frozen=True)
class CheckpointRecord:
    run_id: str
    tenant_id: str
    checkpoint_id: str
    name: str
    type: str
    status: str  # pending | resolved | expired | cancelled
    prompt: str
    payload: str  # JSON or claim-check reference
    response_schema: str
    assignee: str | None
    timeout_seconds: int | None
    expires_at: str | None
    on_timeout: str
    default: str | None
    workflow_name: str
    workflow_version: str
    created_at: str
    resolved_at: str | None = None
    resolution: str | None = None
    task_token: str | None = None

    def public(self) -> dict[str, Any]:
        """The checkpoint as the API shows it (never the task token)."""
        return {
            "checkpoint_id": self.checkpoint_id,
            "run_id": self.run_id,
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "prompt": self.prompt,
            "payload": payloads.load(self.payload),
            "response_schema": json.loads(self.response_schema),
            "assignee": self.assignee,
            "timeout_seconds": self.timeout_seconds,
            "expires_at": self.expires_at,
            "workflow": {"name": self.workflow_name, "version": self.workflow_version},
            "created_at": self.created_at,
            "resolved_at": self.resolved_at,
            "resolution": payloads.load(self.resolution) if self.resolution else None,
        }


_FIELDS = frozenset(f.name for f in fields(CheckpointRecord))


def sk(checkpoint_id: str) -> str:
    return f"CKPT#{checkpoint_id}"


def _key(run_id: str, checkpoint_id: str) -> dict[str, Any]:
    return {"PK": to_attr(keys.run_pk(run_id)), "SK": to_attr(sk(checkpoint_id))}


def _inbox_key(tenant_id: str, status: str) -> str:
    return f"TENANT#{tenant_id}#CKPT#{status}"


def _from(item: dict[str, Any]) -> CheckpointRecord:
    return CheckpointRecord(**{k: v for k, v in from_item(item).items() if k in _FIELDS})


def put_item(record: CheckpointRecord) -> dict[str, Any]:
    """The transaction entry creating a checkpoint (once: a replayed step finds the existing one)."""
    values = asdict(record)
    values.update(
        PK=keys.run_pk(record.run_id),
        SK=sk(record.checkpoint_id),
        gsi1pk=_inbox_key(record.tenant_id, record.status),
        created_key=f"{record.created_at}#{record.run_id}#{record.checkpoint_id}",
    )
    return {
        "Put": {
            "TableName": settings().table_name,
            "Item": to_item(values),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def transition_item(
    record: CheckpointRecord, status: str, at: str, resolution: dict[str, Any] | None
) -> dict[str, Any]:
    """The transaction entry moving a pending checkpoint to `status`, exactly once."""
    values: dict[str, Any] = {
        ":status": to_attr(status),
        ":pending": to_attr("pending"),
        ":at": to_attr(at),
        ":inbox": to_attr(_inbox_key(record.tenant_id, status)),
        ":resolution": to_attr(
            # Input answers can be as large as a request body: over 64 KiB they go to S3.
            payloads.dump(record.tenant_id, record.run_id, f"resolution-{record.checkpoint_id}", resolution)
            if resolution is not None
            else None
        ),
    }
    return {
        "Update": {
            "TableName": settings().table_name,
            "Key": _key(record.run_id, record.checkpoint_id),
            "UpdateExpression": (
                "SET #status = :status, resolved_at = :at, gsi1pk = :inbox, resolution = :resolution"
            ),
            "ConditionExpression": "#status = :pending",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
        }
    }


def get(run_id: str, checkpoint_id: str) -> CheckpointRecord:
    response = aws.dynamodb().get_item(
        TableName=settings().table_name, Key=_key(run_id, checkpoint_id), ConsistentRead=True
    )
    if "Item" not in response:
        raise NotFound(f"checkpoint {checkpoint_id!r} of run {run_id!r} does not exist")
    return _from(response["Item"])


def find(run_id: str, checkpoint_id: str) -> CheckpointRecord | None:
    try:
        return get(run_id, checkpoint_id)
    except NotFound:
        return None


def list_for_run(run_id: str) -> list[CheckpointRecord]:
    query = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": to_attr(keys.run_pk(run_id)), ":prefix": to_attr("CKPT#")},
        "ConsistentRead": True,
    }
    return sorted((_from(item) for item in partitions.query_items(query)), key=lambda r: r.created_at)


def store_task_token(record: CheckpointRecord, task_token: str) -> bool:
    """Attach the state machine's task token while the checkpoint is pending. False if it is not."""
    from botocore.exceptions import ClientError

    try:
        aws.dynamodb().update_item(
            TableName=settings().table_name,
            Key=_key(record.run_id, record.checkpoint_id),
            UpdateExpression="SET task_token = :token",
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":token": to_attr(task_token), ":pending": to_attr("pending")},
        )
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


def inbox_cursor_after(record: CheckpointRecord) -> str:
    """The inbox cursor that goes on right after `record` (as LastEvaluatedKey would be)."""
    last = {
        "PK": keys.run_pk(record.run_id),
        "SK": sk(record.checkpoint_id),
        keys.LIST_SORT_ATTR: f"{record.created_at}#{record.run_id}#{record.checkpoint_id}",
        "gsi1pk": _inbox_key(record.tenant_id, record.status),
    }
    return encode_cursor(to_item(last))


def inbox(
    tenant_id: str, status: str, assignee: str | None, limit: int, cursor: str | None
) -> tuple[list[CheckpointRecord], str | None]:
    """The tenant's checkpoints in one status, oldest first (what waits longest comes first)."""
    partition = _inbox_key(tenant_id, status)
    query: dict[str, Any] = {
        "TableName": settings().table_name,
        "IndexName": keys.GSI_TENANT,
        "KeyConditionExpression": "gsi1pk = :pk",
        "ExpressionAttributeValues": {":pk": to_attr(partition)},
        "ScanIndexForward": True,
        "Limit": limit,
    }
    if assignee:
        query["FilterExpression"] = "assignee = :assignee"
        query["ExpressionAttributeValues"][":assignee"] = to_attr(assignee)
    response = paged_query(query, ("gsi1pk", partition), cursor)
    last = response.get("LastEvaluatedKey")
    return [_from(item) for item in response.get("Items", [])], encode_cursor(last) if last else None

"""Delivery items: `RUN#<run_id> / DLV#<seq>`, one per event of the run that triggers a webhook.

The delivery id is derived from the run id and the event's sequence number, so a stream record
processed twice makes one delivery; it is also the `webhook-id` header, unchanged across retries and
redeliveries, so receivers can drop duplicates. `generation` changes on every redelivery: queue
messages of an older generation are ignored, so one delivery never has two retry chains.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from botocore.exceptions import ClientError

from agent_runtime import aws
from agent_runtime.clock import now_iso
from agent_runtime.config import settings
from agent_runtime.errors import NotFound
from agent_runtime.store import keys
from agent_runtime.store.attrs import from_item, to_attr, to_item

STATUSES = ("pending", "delivered", "failed")
MAX_ATTEMPTS_KEPT = 50
DELIVERY_ID = re.compile(r"^dlv_([0-9a-f]{32})_([0-9]{1,12})$")


def delivery_id(run_id: str, seq: int) -> str:
    return f"dlv_{uuid.UUID(run_id).hex}_{seq}"


def parse_delivery_id(value: str) -> tuple[str, int]:
    match = DELIVERY_ID.match(value)
    if not match:
        raise NotFound(f"delivery {value!r} does not exist")
    return str(uuid.UUID(match.group(1))), int(match.group(2))


@dataclass(frozen=True)
class DeliveryRecord:
    delivery_id: str
    run_id: str
    tenant_id: str
    seq: int
    event_type: str
    url: str
    payload: str  # the body, JSON text (or a claim-check reference)
    status: str  # pending | delivered | failed
    created_at: str
    updated_at: str
    give_up_at: float  # epoch seconds: retries stop after this
    attempts: str = "[]"  # JSON list, the last MAX_ATTEMPTS_KEPT
    attempt_count: int = 0
    generation: int = 1
    next_retry_at: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "run_id": self.run_id,
            "event_id": self.seq,
            "event_type": self.event_type,
            "url": self.url,
            "status": self.status,
            "attempt_count": self.attempt_count,
            "attempts": json.loads(self.attempts),
            "next_retry_at": self.next_retry_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


_FIELDS = frozenset(f.name for f in fields(DeliveryRecord))


def _table() -> str:
    return settings().table_name


def _key(run_id: str, seq: int) -> dict[str, Any]:
    return {"PK": to_attr(keys.run_pk(run_id)), "SK": to_attr(keys.delivery_sk(seq))}


def _item(record: DeliveryRecord) -> dict[str, Any]:
    values = asdict(record)
    values["give_up_at"] = str(record.give_up_at)
    return to_item({**values, "PK": keys.run_pk(record.run_id), "SK": keys.delivery_sk(record.seq)})


def _from(item: dict[str, Any]) -> DeliveryRecord:
    values = {k: v for k, v in from_item(item).items() if k in _FIELDS}
    values["give_up_at"] = float(values["give_up_at"])
    return DeliveryRecord(**values)


def create(record: DeliveryRecord) -> bool:
    """Store a new delivery; False when it already exists (the stream record came again)."""
    try:
        aws.dynamodb().put_item(
            TableName=_table(), Item=_item(record), ConditionExpression="attribute_not_exists(PK)"
        )
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


def find(run_id: str, seq: int) -> DeliveryRecord | None:
    response = aws.dynamodb().get_item(TableName=_table(), Key=_key(run_id, seq), ConsistentRead=True)
    return _from(response["Item"]) if "Item" in response else None


def get(delivery: str, tenant_id: str | None) -> DeliveryRecord:
    run_id, seq = parse_delivery_id(delivery)
    record = find(run_id, seq)
    if record is None or (tenant_id is not None and record.tenant_id != tenant_id):
        raise NotFound(f"delivery {delivery!r} does not exist")
    return record


def list_for_run(run_id: str, after: int, limit: int) -> list[DeliveryRecord]:
    response = aws.dynamodb().query(
        TableName=_table(),
        KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
        ExpressionAttributeValues={
            ":pk": to_attr(keys.run_pk(run_id)),
            ":lo": to_attr(keys.delivery_sk(after + 1)),
            ":hi": to_attr(keys.delivery_sk(10**keys.SEQ_WIDTH - 1)),
        },
        ConsistentRead=True,
        Limit=limit,
    )
    return [_from(item) for item in response.get("Items", [])]


def update(current: DeliveryRecord, **changes: Any) -> DeliveryRecord | None:
    """Write `changes` if the delivery is still as `current` was (same attempt count and generation);
    None if something else changed it first."""
    new = replace(current, **changes, updated_at=now_iso())
    changed = {k: getattr(new, k) for k in (*changes, "updated_at")}
    if "give_up_at" in changed:
        changed["give_up_at"] = str(new.give_up_at)
    names = {f"#a{i}": name for i, name in enumerate(changed)}
    values = {f":v{i}": to_attr(value) for i, value in enumerate(changed.values())}
    names.update({"#n": "attempt_count", "#g": "generation"})
    values.update({":n": to_attr(current.attempt_count), ":g": to_attr(current.generation)})
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key=_key(current.run_id, current.seq),
            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(changed))),
            ConditionExpression="#n = :n AND #g = :g",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise
    return new


def with_attempt(current: DeliveryRecord, attempt: dict[str, Any]) -> str:
    attempts = [*json.loads(current.attempts), attempt][-MAX_ATTEMPTS_KEPT:]
    return json.dumps(attempts, separators=(",", ":"))

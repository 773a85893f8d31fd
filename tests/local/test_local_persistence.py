"""The local stack's data directory (persistence.py) on a scratch table and bucket of the session's
moto: writes are journaled only once they succeeded, a journal replays in order, an unfinished last
record is ignored, a journal already folded into the snapshot is never replayed again, and one process
holds a data dir at a time."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from agent_runtime_local.cloud import STREAM, Resources
from agent_runtime_local.persistence import DataDir, DataDirError


@pytest.fixture
def scratch(cloud: Resources) -> Iterator[tuple[Any, Any, str, str]]:
    session = boto3.session.Session(region_name="us-east-1")
    dynamodb, s3 = session.client("dynamodb"), session.client("s3")
    table, bucket = f"persist-{uuid.uuid4().hex[:8]}", f"persist-{uuid.uuid4().hex[:8]}"
    create_table(dynamodb, table)
    s3.create_bucket(Bucket=bucket)
    yield dynamodb, s3, table, bucket
    dynamodb.delete_table(TableName=table)


def record(op: str, params: dict[str, Any]) -> bytes:
    return (json.dumps({"op": op, "params": params}) + "\n").encode()


def test_a_journal_replays_in_order_and_an_unfinished_last_record_is_ignored(
    scratch: tuple[Any, Any, str, str], tmp_path: Path
) -> None:
    dynamodb, s3, table, bucket = scratch
    data = DataDir(tmp_path)
    data.open()
    try:
        blob = data.store_blob(b"body bytes")
        key = {"PK": {"S": "a"}}
        (tmp_path / "journal-0.jsonl").write_bytes(
            record("dynamodb.PutItem", {"TableName": table, "Item": {**key, "n": {"N": "1"}}})
            + record(
                "dynamodb.UpdateItem",
                {
                    "TableName": table,
                    "Key": key,
                    "UpdateExpression": "ADD n :one",
                    "ConditionExpression": "n = :was",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":was": {"N": "1"}},
                },
            )
            + record("s3.PutObject", {"Bucket": bucket, "Key": "k", "Body": {"$blob": blob}})
            + record("dynamodb.DeleteItem", {"TableName": table, "Key": key})[:-9]  # cut short
        )
        restored = data.restore(table, bucket, STREAM)
        assert (restored.items, restored.objects, restored.replayed) == (0, 0, 3)
        assert dynamodb.get_item(TableName=table, Key=key)["Item"]["n"] == {"N": "2"}
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"body bytes"
        assert not (tmp_path / "journal-0.jsonl").exists()
        assert (tmp_path / "journal-1.jsonl").read_bytes() == b""
    finally:
        data.close()


def test_writes_are_journaled_once_they_succeed_and_restored_from_the_snapshot(
    scratch: tuple[Any, Any, str, str], tmp_path: Path
) -> None:
    dynamodb, _, table, bucket = scratch
    data = DataDir(tmp_path)
    data.open()
    try:
        data.restore(table, bucket, STREAM)
        client = boto3.session.Session(region_name="us-east-1").client("dynamodb")
        data.watch(client)
        client.put_item(TableName=table, Item={"PK": {"S": "b"}, "v": {"B": b"\x00\xff"}})
        with pytest.raises(ClientError):
            client.put_item(
                TableName=table, Item={"PK": {"S": "b"}}, ConditionExpression="attribute_not_exists(PK)"
            )
        lines = (tmp_path / "journal-1.jsonl").read_text().splitlines()
        assert [json.loads(line)["op"] for line in lines] == ["dynamodb.PutItem"]
        with pytest.raises(DataDirError):
            DataDir(tmp_path).open()  # held by this one
    finally:
        data.close()

    # Restarted (on the table made anew): the snapshot plus journal-1 give b back.
    recreate(dynamodb, table)
    again = DataDir(tmp_path)
    again.open()
    try:
        assert again.restore(table, bucket, STREAM).replayed == 1
        # A crash right after the next snapshot was written would leave journal-1 behind.
        (tmp_path / "journal-1.jsonl").write_bytes(
            record("dynamodb.DeleteItem", {"TableName": table, "Key": {"PK": {"S": "b"}}})
        )
    finally:
        again.close()
    recreate(dynamodb, table)
    last = DataDir(tmp_path)
    last.open()
    try:
        restored = last.restore(table, bucket, STREAM)
    finally:
        last.close()
    assert (restored.items, restored.replayed) == (1, 0)  # journal-1 is in the snapshot already
    item = dynamodb.get_item(TableName=table, Key={"PK": {"S": "b"}})["Item"]
    assert item["v"] == {"B": b"\x00\xff"}


def recreate(dynamodb: Any, table: str) -> None:
    """The table as a restarted stack creates it: empty, its stream off."""
    dynamodb.delete_table(TableName=table)
    create_table(dynamodb, table)


def create_table(dynamodb: Any, table: str) -> None:
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
    )

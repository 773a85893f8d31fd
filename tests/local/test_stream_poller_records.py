"""The stream poller reads moto's shard in process (local/agent_runtime_local/pollers.py): the records
it hands a function are the records GetRecords answers, as Lambda delivers them."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import boto3
import pytest

from agent_runtime_local import pollers
from agent_runtime_local.cloud import REGION, TABLE, Resources
from functions import manifest


def _through_get_records(key: dict[str, Any]) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name=REGION)
    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    found: list[dict[str, Any]] = []
    while True:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            return found
        found += [r for r in page["Records"] if r["dynamodb"]["Keys"] == key]
        iterator = page["NextShardIterator"]


def test_the_poller_hands_over_the_records_get_records_answers(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an item written and then changed, with binary attributes and a hook flag
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"POLLER#{uuid.uuid4()}"}, "SK": {"S": "EVT#1"}}
    item: dict[str, Any] = {
        **key,
        "hook": {"BOOL": True},
        "b": {"B": b"\x00\xff"},
        "bs": {"BS": [b"\x01"]},
        "n": {"N": "1"},
    }
    client.put_item(TableName=TABLE, Item=item)
    client.put_item(TableName=TABLE, Item={**item, "n": {"N": "2"}})
    # When a stream poller (the webhook dispatcher's filter, nothing invoked) reads the stream to its end
    spec = next(s for s in manifest.FUNCTIONS if s.trigger == manifest.Trigger.TABLE_STREAM)
    handed: list[dict[str, Any]] = []
    here = threading.current_thread()  # the stack's own poller runs meanwhile, in its thread

    def invoke(_spec: Any, event: dict[str, Any]) -> None:
        if threading.current_thread() is here:
            handed.extend(event["Records"])

    monkeypatch.setattr(pollers, "_invoke", invoke)
    poller = pollers.StreamPoller(cloud.table, [spec])
    while poller.poll():
        pass
    # Then it handed over the INSERT (the filter's pick), as GetRecords answers it
    mine = [r for r in handed if r["dynamodb"]["Keys"] == key]
    answered = _through_get_records(key)
    assert [r["eventName"] for r in answered] == ["INSERT", "MODIFY"]
    expected = {**answered[0], "eventSourceARN": poller._arn}
    expected["dynamodb"] = {
        **expected["dynamodb"],
        "ApproximateCreationDateTime": expected["dynamodb"]["ApproximateCreationDateTime"].timestamp(),
    }
    assert mine == [expected]
    # And what it handed over is a copy: changing it changes nothing moto holds
    mine[0]["dynamodb"]["NewImage"]["n"]["N"] = "changed"
    assert _through_get_records(key)[0]["dynamodb"]["NewImage"]["n"] == {"N": "1"}

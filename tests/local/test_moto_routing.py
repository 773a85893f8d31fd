"""moto_patches' route cache: a URL's moto handler is found once, and what it answers is what moto's
own dispatch answers (the same handler, the same errors)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from moto import backend_index
from moto.core.botocore_stubber import BotocoreStubber

from agent_runtime_local import moto_patches
from agent_runtime_local.cloud import REGION, TABLE, Resources

DYNAMODB = f"https://dynamodb.{REGION}.amazonaws.com/"


class _CountedPatterns(list[Any]):
    scans = 0

    def __iter__(self) -> Iterator[Any]:
        type(self).scans += 1
        return super().__iter__()


def _get_item(table: str, key: str) -> AWSPreparedRequest:
    body = json.dumps({"TableName": table, "Key": {"PK": {"S": key}, "SK": {"S": "ITEM"}}})
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"}
    return AWSPreparedRequest("POST", DYNAMODB, headers, body.encode(), False)


def _answer(response: Any) -> tuple[int, Any]:
    status, _, body = response
    return status, json.loads(body)


def test_a_url_is_matched_against_moto_s_patterns_once(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's service URL patterns, counting each scan of them
    monkeypatch.setattr(
        backend_index, "backend_url_patterns", _CountedPatterns(backend_index.backend_url_patterns)
    )
    _CountedPatterns.scans = 0
    client = boto3.client("dynamodb", region_name=REGION)
    # When the table is read ten times
    for _ in range(10):
        client.get_item(TableName=TABLE, Key={"PK": {"S": f"ROUTE#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}})
    # Then moto's patterns were scanned at most once (none if the URL was routed before)
    assert _CountedPatterns.scans <= 1


@pytest.mark.parametrize("table", [TABLE, "no-such-table"])
def test_a_routed_request_is_answered_as_moto_s_dispatch_answers_it(cloud: Resources, table: str) -> None:
    # Given an item, and moto's own process_request beside the routed one
    key = f"ROUTE#{uuid.uuid4()}"
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=TABLE, Item={"PK": {"S": key}, "SK": {"S": "ITEM"}, "n": {"N": "1"}}
    )
    stubber = BotocoreStubber()
    routed = BotocoreStubber.process_request  # locked (_serialize_requests), then routed
    moto_own = routed.__wrapped__.__wrapped__  # type: ignore[attr-defined]
    # When the same GetItem (of an item, or of a table that doesn't exist) goes through each
    ours = _answer(routed(stubber, _get_item(table, key)))
    theirs = _answer(moto_own(stubber, _get_item(table, key)))
    # Then both answer the same status and body (the item, or ResourceNotFoundException)
    assert ours == theirs
    assert ours[0] == (200 if table == TABLE else 400)


def test_urls_moto_does_not_serve_as_they_are_go_to_moto_s_own_dispatch() -> None:
    # A URL outside AWS, and one with a query moto matches without: no cached handler for either
    assert moto_patches._moto_handler("http://127.0.0.1:9/somewhere") is None
    assert moto_patches._moto_handler(f"{DYNAMODB}?x=1") is None
    # And the DynamoDB endpoint's is moto's DynamoDB handler
    handler = moto_patches._moto_handler(DYNAMODB)
    assert handler is not None and handler.__self__.__name__ == "DynamoHandler"

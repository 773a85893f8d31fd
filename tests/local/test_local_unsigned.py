"""The local stack's clients call moto unsigned (local/agent_runtime_local/unsigned.py): the calls
reach the same account, region and table; S3 calls and pre-signed download URLs are still signed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from agent_runtime import aws
from agent_runtime_local.cloud import BUCKET, TABLE, Resources
from tests.conftest import SeenHere


def _sent_headers(client: Any) -> list[dict[str, Any]]:
    """The headers of what `client` sends from this thread: the client is the process's, and the
    session's stack may use it from its own threads meanwhile (a run still finishing, a poller)."""
    sent = SeenHere()

    def record(request: Any, **_: Any) -> None:
        sent.append(dict(request.headers))

    client.meta.events.register_first("before-send", record)
    return sent


def test_a_runtime_client_calls_moto_unsigned_and_reaches_the_local_table(cloud: Resources) -> None:
    # Given the runtime's DynamoDB client, watched as it sends
    client = aws.dynamodb()
    sent = _sent_headers(client)
    key = {"PK": {"S": f"UNSIGNED#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
    # When it writes and reads an item (answered in process: moto_direct.py) and describes the table
    client.put_item(TableName=TABLE, Item={**key, "v": {"S": "x"}})
    item = client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
    for _ in range(2):
        assert client.describe_table(TableName=TABLE)["Table"]["ItemCount"] >= 0
    # Then the calls that went out went without a signature, and the item is in the local stack's table
    assert len(sent) == 2
    assert all("Authorization" not in headers for headers in sent)
    agents = [headers["User-Agent"] for headers in sent]
    assert agents[0] == agents[1] and b"Botocore/" in agents[0]
    assert item == {**key, "v": {"S": "x"}}


def test_s3_calls_stay_signed_and_objects_download_as_written(cloud: Resources) -> None:
    # Given an object written by the runtime's S3 client
    client = aws.s3()
    sent = _sent_headers(client)
    name = f"unsigned/{uuid.uuid4()}.txt"
    client.put_object(Bucket=BUCKET, Key=name, Body=b"hello")
    assert ["Authorization" in headers for headers in sent] == [True]
    # When a download URL is made for it
    url = aws.s3_presigner().generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": name})
    # Then the URL carries a signature, and the download endpoint serves the object as written
    assert "X-Amz-Signature=" in url
    assert httpx.get(url).content == b"hello"
    assert client.get_object(Bucket=BUCKET, Key=name)["Body"].read() == b"hello"

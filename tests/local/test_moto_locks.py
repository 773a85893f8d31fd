"""Each moto service has a lock of its own (moto_patches.service_lock): a call waits for its own
service's lock only, so a queue poll or an execution start never holds up DynamoDB."""

from __future__ import annotations

import threading
import uuid

import boto3

from agent_runtime_local import moto_patches
from agent_runtime_local.cloud import REGION, TABLE, Resources

SETTLE = 0.5  # how long a blocked call is given to show it is blocked


def _get_in_thread() -> tuple[threading.Thread, threading.Event]:
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"LOCKS#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
    done = threading.Event()

    def read() -> None:
        client.get_item(TableName=TABLE, Key=key)
        done.set()

    return threading.Thread(target=read, daemon=True), done


def test_a_dynamodb_call_does_not_wait_for_another_services_lock(cloud: Resources) -> None:
    # Given another thread holding the SQS lock and the Step Functions lock
    thread, done = _get_in_thread()
    with moto_patches.service_lock("sqs"), moto_patches.service_lock("states"):
        # When a DynamoDB call is made
        thread.start()
        # Then it is answered meanwhile
        assert done.wait(10)
    thread.join(10)


def test_a_dynamodb_call_waits_for_the_dynamodb_lock(cloud: Resources) -> None:
    # Given the DynamoDB lock held (what makes each of its calls atomic)
    thread, done = _get_in_thread()
    with moto_patches.service_lock("dynamodb"):
        thread.start()
        # Then a DynamoDB call waits for it
        assert not done.wait(SETTLE)
    # And is answered once it is released
    assert done.wait(10)
    thread.join(10)


def test_dynamodb_and_its_stream_share_one_lock_and_s3_hosts_share_another() -> None:
    of = moto_patches._service_of
    assert of("https://dynamodb.us-east-1.amazonaws.com/") == of(
        "https://streams.dynamodb.us-east-1.amazonaws.com/"
    )
    assert of("https://bucket.s3.amazonaws.com/key") == of("https://s3.amazonaws.com/bucket/key") == "s3"
    assert of("https://sqs.us-east-1.amazonaws.com/") == "sqs"
    assert moto_patches.service_lock("dynamodb") is moto_patches.moto_lock

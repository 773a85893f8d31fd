"""An empty queue is not polled ten times a second: the local queue poller waits for a send (as
Lambda's long poll does), and a message sent to an idle queue is delivered at once."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from agent_runtime_local import moto_patches, pollers
from agent_runtime_local.cloud import REGION, Resources
from functions import manifest

IDLE_SECONDS = 30.0  # longer than the test: only a send can wake the poller


@pytest.fixture
def queue(cloud: Resources) -> Iterator[tuple[Any, str, str]]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"idle-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    yield sqs, url, arn
    sqs.delete_queue(QueueUrl=url)


def _idle_poller(
    url: str, arn: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[pollers.QueuePoller, threading.Event]:
    """A poller of the queue whose idle wait outlasts the test, and what its consumer sets."""
    delivered = threading.Event()
    spec = manifest.FunctionSpec("idle_consumer", "tests.idle.handler", "a test consumer")
    resolve = pollers.resolve_handler

    def resolve_handler(of: manifest.FunctionSpec) -> Any:
        # The session stack's own pollers resolve through this module too (a webhook dispatch still
        # under way from an earlier test): only this poller's function is the test's consumer.
        return (lambda event, context: delivered.set()) if of == spec else resolve(of)

    monkeypatch.setattr(pollers, "resolve_handler", resolve_handler)
    poller = pollers.QueuePoller(url, arn, spec)
    poller.idle_seconds = IDLE_SECONDS
    return poller, delivered


def test_an_idle_queue_is_received_from_when_a_message_is_sent(
    queue: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a poller on an empty queue, counting its receives, and the sends made in this process
    # (any queue's send wakes a poller, for one receive: the session's stack may send meanwhile)
    sqs, url, arn = queue
    poller, delivered = _idle_poller(url, arn, monkeypatch)
    receives: list[float] = []
    receive = poller._sqs.receive_message
    monkeypatch.setattr(poller._sqs, "receive_message", lambda **kw: receives.append(1) or receive(**kw))
    sends: list[str] = []
    moto_patches.answered.insert(0, sends.append)  # counted before any poller wakes
    poller.start()
    try:
        # When nothing is sent to its queue for a second
        time.sleep(1.0)
        # Then the queue was received from once, and once more for each send elsewhere at most
        # (before: ten times a second)
        other_sends = sum(name in pollers._SENDS for name in sends)
        assert 1 <= len(receives) <= 1 + other_sends
        # And a message sent then is delivered at once, not after the idle wait
        sent = time.monotonic()
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 1}))
        assert delivered.wait(IDLE_SECONDS / 2)
        assert time.monotonic() - sent < 2.0
    finally:
        poller.stop()
        moto_patches.answered.remove(sends.append)
    # And stopping does not wait out the idle wait either
    assert not poller.is_alive()


def test_a_delayed_message_is_received_when_its_delay_ends(
    queue: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an idle poller whose idle wait outlasts the test
    sqs, url, arn = queue
    poller, delivered = _idle_poller(url, arn, monkeypatch)
    poller.start()
    try:
        # When a message is sent with a one-second delay
        sent = time.monotonic()
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 1}), DelaySeconds=1)
        # Then it is delivered once the delay ends, not after the idle wait
        assert delivered.wait(IDLE_SECONDS / 2)
        assert 1.0 <= time.monotonic() - sent < 3.0
    finally:
        poller.stop()

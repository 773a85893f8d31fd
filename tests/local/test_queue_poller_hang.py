"""A hanging webhook receiver delays no other delivery (issue 21, item 9): the local queue poller
waited for each received batch to finish before receiving again, so one attempt hanging for its
whole time budget held every tenant's next deliveries (0.3 s -> about 10 s)."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import boto3
import pytest

from agent_runtime_local import pollers
from agent_runtime_local.cloud import REGION, Resources
from functions import manifest

BOUND_SECONDS = 10.0


def test_a_message_received_while_another_hangs_is_handled_at_once(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"hang-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    hanging, release = threading.Event(), threading.Event()
    handled: dict[str, threading.Event] = {"quick": threading.Event()}

    def consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        body = json.loads(event["Records"][0]["body"])
        if body["kind"] == "hang":
            hanging.set()
            release.wait(BOUND_SECONDS)  # a receiver that never answers within the attempt
        else:
            handled["quick"].set()
        return {}

    spec = manifest.FunctionSpec("hang_test_consumer", "tests.hang.handler", "a test consumer")
    resolve = pollers.resolve_handler  # the session stack's pollers resolve their own functions through it
    monkeypatch.setattr(pollers, "resolve_handler", lambda of: consumer if of == spec else resolve(of))
    poller = pollers.QueuePoller(url, arn, spec)
    poller.start()
    try:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "hang"}))
        assert hanging.wait(BOUND_SECONDS)
        # Received after the hanging one's batch: before, it waited for that batch to finish.
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "quick"}))
        assert handled["quick"].wait(BOUND_SECONDS / 2)
        assert not release.is_set()  # the hanging attempt was still going
    finally:
        release.set()
        poller.stop()
        sqs.delete_queue(QueueUrl=url)


def test_served_to_the_network_a_callback_cannot_reach_this_hosts_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agent_runtime.config import settings
    from agent_runtime.engine.webhooks import urls
    from agent_runtime_local.cli import dev_environment
    from agent_runtime_local.cloud import LOCAL_ENVIRONMENT

    monkeypatch.delenv("WEBHOOK_ALLOWED_HOSTS", raising=False)  # the operator allowed none
    for name, value in {**LOCAL_ENVIRONMENT, **dev_environment(9000, loopback=False)}.items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    try:
        for url in ("http://127.0.0.1:6379/", "http://localhost:8080/admin", "http://[::1]:5432/"):
            with pytest.raises(urls.UnsafeUrl):
                urls.UrlGuard.of(settings()).check(url)
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    # On loopback (the default), local receivers stay reachable.
    assert "WEBHOOK_ALLOW_HTTP_LOOPBACK" not in dev_environment(9000, loopback=True)

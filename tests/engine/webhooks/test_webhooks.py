"""Webhooks against a real receiver on 127.0.0.1: the table's stream and the webhook queue are polled
by the local stack and drive the same dispatcher and delivery functions as in the cloud."""

from __future__ import annotations

import json
import socket
from typing import Any

import boto3
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from agent_runtime.acp.agents import agent_id
from agent_runtime.engine import Engine
from agent_runtime.workflows.registry import registry
from agent_runtime_local.cloud import REGION, Resources
from functions.workers import webhook_delivery
from tests.conftest import Api, eventually
from tests.doors.acp.acp_spec import pointer, validate_acp
from tests.webhook_receiver import receiver

DOC_INPUT = {"title": "Q4 plan", "points": ["ship it"], "reviewer": "ana"}
APPROVAL_EVENTS = [
    "run.created",
    "run.started",
    "checkpoint.created",
    "checkpoint.resolved",
    "artifact.created",
    "run.succeeded",
]
ECHO_EVENTS = ["run.created", "run.started", "run.succeeded"]


def rotate(api: Api) -> str:
    reply = api("POST", "/v1/webhook-secret/rotate")
    assert reply.status == 201
    secret: str = reply.json()["secret"]
    assert secret.startswith("whsec_")
    return secret


def settled(api: Api, run_id: str, count: int) -> bool:
    found = api.deliveries(run_id)
    return len(found) == count and all(d["status"] != "pending" for d in found)


def test_every_status_change_of_an_approval_run_arrives_signed(api: Api) -> None:
    secret = rotate(api)
    with receiver() as hooks:
        run_id = api.create("approval", DOC_INPUT, callback_url=hooks.url).json()["run_id"]
        api.wait(run_id, {"waiting_for_input"})
        # waiting for a human is announced too, before anyone answers
        eventually(lambda: "checkpoint.created" in [r.json["type"] for r in hooks.accepted()])
        api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={"comment": "ok"})
        api.wait(run_id)
        eventually(lambda: len(hooks.accepted()) == len(APPROVAL_EVENTS))
        # (a delivery is recorded delivered after its receiver answered: a moment after it was heard)
        eventually(lambda: settled(api, run_id, len(APPROVAL_EVENTS)))

    bodies = []
    for request in hooks.accepted():
        payload = Webhook(secret).verify(request.body, request.headers)  # raises unless signed with it
        bodies.append(payload)
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(request.body + b" ", request.headers)
    bodies.sort(key=lambda b: b["event_id"])
    assert [b["type"] for b in bodies] == APPROVAL_EVENTS
    events = {e["type"]: e["id"] for e in api.events(run_id)}
    assert [b["event_id"] for b in bodies] == [events[t] for t in APPROVAL_EVENTS]
    assert all(b["run_id"] == run_id and b["data"]["run"]["run_id"] == run_id for b in bodies)
    by_type = {b["type"]: b for b in bodies}
    assert by_type["checkpoint.created"]["data"]["checkpoint"]["checkpoint_id"] == "review-1"
    assert by_type["checkpoint.resolved"]["data"]["checkpoint"]["status"] == "resolved"
    assert by_type["artifact.created"]["data"]["artifact"]["name"] == "document.md"
    assert by_type["run.succeeded"]["data"]["run"]["status"] == "succeeded"
    # Each body holds the run as of its event, not as of its delivery.
    as_of = {t: b["data"]["run"]["status"] for t, b in by_type.items()}
    assert as_of["run.created"] == "queued" and as_of["run.started"] == "running"
    assert as_of["checkpoint.created"] == "waiting_for_input" and as_of["checkpoint.resolved"] == "running"
    assert by_type["run.created"]["data"]["run"]["output"] is None
    assert by_type["checkpoint.created"]["data"]["checkpoint"]["status"] == "pending"
    assert all(b["data"]["run"]["updated_at"] == b["occurred_at"] for b in bodies)
    assert "task_token" not in json.dumps(bodies)
    # and the deliveries are visible, one attempt each
    listed = api.deliveries(run_id)
    assert [d["event_type"] for d in listed] == APPROVAL_EVENTS
    assert {d["delivery_id"] for d in listed} == {r.webhook_id for r in hooks.accepted()}
    assert all(d["status"] == "delivered" and d["attempt_count"] == 1 for d in listed)
    assert listed[0]["attempts"][0]["status_code"] == 200


def test_an_acp_run_calls_its_webhook_with_the_acp_run_on_each_status_change(api: Api) -> None:
    """Given an ACP run of echo_agent with a webhook that interrupts once, when it is resumed and
    finishes, then the webhook got one signed ACP RunStateless per ACP status change, each carrying the
    status it changed to (not the run's status when the delivery was made)."""
    secret = rotate(api)
    echo = agent_id(registry().get("echo_agent"))
    with receiver() as hooks:
        run = api(
            "POST",
            "/runs",
            body={
                "agent_id": echo,
                "input": {"messages": [{"type": "human", "content": "hi"}]},
                "config": {"configurable": {"interrupt_count": 1}},
                "webhook": hooks.url,
            },
        ).json()
        api.wait(run["run_id"], {"waiting_for_input"})
        resume = {"echo_interrupt": {"messages": [{"type": "human", "content": "again"}]}}
        assert api("POST", f"/runs/{run['run_id']}", body=resume).status == 200
        api.wait(run["run_id"])
        eventually(lambda: settled(api, run["run_id"], 4))

    # A delivery that was accepted but timed out on a loaded machine is sent again with the same id:
    # receivers dedupe on webhook-id (Standard Webhooks), and so does this count.
    unique = {r.webhook_id: r for r in hooks.accepted()}.values()
    bodies = [Webhook(secret).verify(r.body, r.headers) for r in unique]
    for body in bodies:
        validate_acp(body, pointer("components", "schemas", "RunStateless"))
        assert body["run_id"] == run["run_id"] and body["creation"]["webhook"] == hooks.url
    bodies.sort(key=lambda b: b["updated_at"])
    assert [b["status"] for b in bodies] == ["pending", "interrupted", "pending", "success"]
    # run.started, step and artifact events don't change an ACP run's status: no callback for them
    assert [d["event_type"] for d in api.deliveries(run["run_id"])] == [
        "run.created",
        "checkpoint.created",
        "checkpoint.resolved",
        "run.succeeded",
    ]


def test_a_receiver_failing_three_times_gets_each_event_exactly_once(api: Api) -> None:
    def flaky(n: int) -> Any:
        return {1: 500, 2: ("sleep", 1.5), 3: (429, {"Retry-After": "1"})}.get(n, 200)

    with receiver(flaky) as hooks:
        run_id = api.create("echo", {"n": 1}, callback_url=hooks.url).json()["run_id"]
        api.wait(run_id)
        eventually(lambda: settled(api, run_id, len(ECHO_EVENTS)), timeout=25)

    accepted = hooks.accepted()
    # Deduplicated by webhook-id, every event arrived, none twice, none lost.
    assert sorted(r.json["event_id"] for r in accepted) == sorted({r.json["event_id"] for r in accepted})
    assert sorted(r.json["type"] for r in accepted) == sorted(ECHO_EVENTS)
    assert len({r.webhook_id for r in hooks.all()}) == len(ECHO_EVENTS)
    for delivery in api.deliveries(run_id):
        assert delivery["status"] == "delivered"
        attempts = delivery["attempts"]
        assert [a["status_code"] for a in attempts] == [500, None, 429, 200]
        assert attempts[1]["error"].startswith("timeout")
        assert attempts[0]["next_retry_at"] and attempts[2]["next_retry_at"]
        assert attempts[3]["next_retry_at"] is None


def _dead_letters(cloud: Resources) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    found = []
    for _ in range(5):
        messages = sqs.receive_message(QueueUrl=cloud.webhook_dlq_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        found += [json.loads(m["Body"]) for m in messages]
        if not messages:
            break
    return found


def test_a_receiver_down_throughout_ends_in_the_dlq_and_redeliver_sends_it_again(
    api: Api, cloud: Resources
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hooks"
    run_id = api.create("echo", {"n": 2}, callback_url=url).json()["run_id"]
    api.wait(run_id)
    eventually(lambda: settled(api, run_id, len(ECHO_EVENTS)), timeout=25)
    listed = api.deliveries(run_id)
    for delivery in listed:
        assert delivery["status"] == "failed"
        assert delivery["attempt_count"] >= 2
        assert all(a["error"].startswith("network error") for a in delivery["attempts"])
        assert delivery["attempts"][-1]["next_retry_at"] is None
    ids = {d["delivery_id"] for d in listed}
    dead: list[dict[str, Any]] = []

    def all_dead_lettered() -> bool:
        dead.extend(_dead_letters(cloud))
        return ids <= {m["delivery_id"] for m in dead}

    eventually(all_dead_lettered)
    assert {m["run_id"] for m in dead if m["delivery_id"] in ids} == {run_id}

    # Redeliver sends a delivered one again with the same webhook-id and body.
    first = listed[0]
    with receiver() as hooks:
        run2 = api.create("echo", {"n": 3}, callback_url=hooks.url).json()["run_id"]
        api.wait(run2)
        eventually(lambda: settled(api, run2, len(ECHO_EVENTS)))
        target = api.deliveries(run2)[-1]
        reply = api("POST", f"/v1/deliveries/{target['delivery_id']}/redeliver")
        assert reply.status == 202
        assert reply.json()["status"] == "pending"
        eventually(lambda: len(hooks.accepted()) == len(ECHO_EVENTS) + 1)
        eventually(lambda: api.deliveries(run2)[-1]["attempt_count"] == 2)
    again = [r for r in hooks.accepted() if r.webhook_id == target["delivery_id"]]
    assert len(again) == 2 and again[0].body == again[1].body
    assert api.deliveries(run2)[-1]["status"] == "delivered"
    # redelivering a failed one starts a new retry window (its receiver is still down)
    reply = api("POST", f"/v1/deliveries/{first['delivery_id']}/redeliver")
    assert reply.status == 202
    eventually(lambda: api.deliveries(run_id)[0]["attempt_count"] > first["attempt_count"])


def test_redeliver_of_another_tenants_delivery_is_404(api: Api, other_api: Api) -> None:
    with receiver() as hooks:
        run_id = api.create("echo", {}, callback_url=hooks.url).json()["run_id"]
        api.wait(run_id)
        eventually(lambda: settled(api, run_id, len(ECHO_EVENTS)))
    delivery_id = api.deliveries(run_id)[0]["delivery_id"]
    assert other_api("POST", f"/v1/deliveries/{delivery_id}/redeliver").status == 404
    assert other_api("GET", f"/v1/runs/{run_id}/deliveries").status == 404
    assert api("POST", "/v1/deliveries/nonsense/redeliver").status == 404


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:10.1.2.3]/x",
        "https://[2002:a9fe:a9fe::]/",  # 6to4 wrapping of the metadata address
        "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 wrapping of it
        "https://167772161/x",  # 10.0.0.1 spelt as one number
        "https://0xa.0.0.1/x",
        "ftp://127.0.0.1/x",
        "https://user:pw@127.0.0.1/x",
        "https://no-such-host.invalid/x",
    ],
)
def test_a_callback_url_to_a_private_address_is_refused_at_creation(api: Api, url: str) -> None:
    reply = api.create("echo", {}, callback_url=url)
    assert reply.status == 422
    assert reply.json()["errors"][0]["field"] == "callback_url"


def test_rotation_signs_with_both_secrets_during_the_overlap(api: Api) -> None:
    old = rotate(api)
    new = rotate(api)
    assert old != new
    with receiver() as hooks:
        run_id = api.create("echo", {}, callback_url=hooks.url).json()["run_id"]
        eventually(lambda: len(hooks.accepted()) >= 1)
    request = hooks.accepted()[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)
    api.wait(run_id)


def test_a_duplicate_queue_message_does_not_start_a_second_retry_chain(api: Api) -> None:
    # Given a delivery whose first attempt failed, so its retry (attempt 1) is queued
    with receiver(lambda n: 503) as hooks:
        run_id = api.create("echo", {}, callback_url=hooks.url).json()["run_id"]
        eventually(lambda: bool(api.deliveries(run_id)) and api.deliveries(run_id)[0]["attempt_count"] >= 1)
        first = api.deliveries(run_id)[0]
        # When SQS hands the worker the message of the attempt already made, once more
        outcome = Engine.default().webhook_sender.attempt(
            {"delivery_id": first["delivery_id"], "generation": 1, "attempt": 0}
        )
    # Then it is dropped: no second POST for that attempt, no second chain of retries
    assert outcome == "stale"
    assert all(r.headers.get("accept-encoding") == "identity" for r in hooks.all())


class NearlyTimedOut:
    """A Lambda context with 2 s left: less than one attempt may take."""

    def get_remaining_time_in_millis(self) -> int:
        return 2000


def test_the_delivery_worker_hands_back_messages_it_has_no_time_for(api: Api) -> None:
    # Given a batch of two messages and a function about to time out
    batch = {
        "Records": [
            {"messageId": "m1", "body": json.dumps({"delivery_id": "dlv_x_1", "generation": 1})},
            {"messageId": "m2", "body": json.dumps({"delivery_id": "dlv_x_2", "generation": 1})},
        ]
    }
    # When the worker gets them
    result = webhook_delivery.handler(batch, NearlyTimedOut())
    # Then neither is started: both go back to the queue rather than being cut off mid-request
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}


def test_a_hanging_receiver_does_not_hold_up_another_receivers_deliveries(api: Api) -> None:
    # Given runs whose receiver never answers in time (each attempt waits out the read timeout)
    with receiver(lambda n: ("sleep", 5)) as hanging, receiver(lambda n: 204) as healthy:
        for _ in range(4):
            api.create("echo", {}, callback_url=hanging.url)
        eventually(lambda: len(hanging.all()) >= 4)
        # When a run with a healthy receiver runs meanwhile
        run_id = api.create("echo", {}, callback_url=healthy.url).json()["run_id"]
        api.wait(run_id)
        eventually(lambda: settled(api, run_id, len(ECHO_EVENTS)), timeout=20)
    # Then its deliveries went out, each at its first attempt, while the hanging ones were still retried
    assert all(d["status"] == "delivered" and d["attempt_count"] == 1 for d in api.deliveries(run_id))

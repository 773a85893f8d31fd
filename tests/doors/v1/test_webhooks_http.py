"""Webhooks over real HTTP: an approval run through the local gateway with an API key, a receiver on
127.0.0.1, the deliveries API and redelivery."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from standardwebhooks.webhooks import Webhook

from tests.webhook_receiver import receiver

DOC_INPUT = {"title": "Q4 plan", "points": ["ship it"], "reviewer": "ana"}


def _until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_approval_run_webhooks_over_http(http: httpx.Client) -> None:
    rotated = http.post("/v1/webhook-secret/rotate")
    assert rotated.status_code == 201 and rotated.headers["cache-control"] == "no-store"
    secret = rotated.json()["secret"]
    with receiver() as hooks:
        run = http.post(
            "/v1/runs", json={"workflow": {"name": "approval"}, "input": DOC_INPUT, "callback_url": hooks.url}
        ).json()
        run_id = run["run_id"]
        _until(lambda: "checkpoint.created" in [r.json["type"] for r in hooks.accepted()])
        waiting = next(r.json for r in hooks.accepted() if r.json["type"] == "checkpoint.created")
        assert waiting["data"]["checkpoint"]["status"] == "pending"
        http.post(f"/v1/runs/{run_id}/checkpoints/review-1/approve", json={})
        _until(lambda: "run.succeeded" in [r.json["type"] for r in hooks.accepted()])
        listed = http.get(f"/v1/runs/{run_id}/deliveries").json()["data"]
        assert [d["event_type"] for d in listed] == [
            "run.created",
            "run.started",
            "checkpoint.created",
            "checkpoint.resolved",
            "artifact.created",
            "run.succeeded",
        ]
        redo = http.post(f"/v1/deliveries/{listed[0]['delivery_id']}/redeliver")
        assert redo.status_code == 202
        _until(lambda: len([r for r in hooks.accepted() if r.webhook_id == listed[0]["delivery_id"]]) == 2)
    for request in hooks.accepted():
        Webhook(secret).verify(request.body, request.headers)
    bad = http.post(
        "/v1/runs", json={"workflow": {"name": "echo"}, "input": {}, "callback_url": "https://10.1.2.3/x"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "callback_url"

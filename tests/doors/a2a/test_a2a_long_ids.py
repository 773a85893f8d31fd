"""A push notification config id near its limit is read and deleted over HTTP+JSON as it was created:
the binding's route holds the task and the config id in one greedy path parameter."""

from __future__ import annotations

import uuid

import httpx

HEADERS = {"A2A-Version": "1.0"}


def test_a_240_character_push_config_id_is_read_and_deleted(http: httpx.Client) -> None:
    message = {
        "messageId": str(uuid.uuid4()),
        "role": "ROLE_USER",
        "parts": [{"data": {"title": "t", "points": ["p"]}}],
    }
    sent = http.post("/a2a/approval/message:send", json={"message": message}, headers=HEADERS)
    assert sent.status_code == 200, sent.text
    task_id = sent.json()["task"]["id"]
    config_id = "c" * 240
    base = f"/a2a/approval/tasks/{task_id}/pushNotificationConfigs"
    created = http.post(base, json={"id": config_id, "url": "http://127.0.0.1:9/hooks"}, headers=HEADERS)
    assert created.status_code == 200, created.text
    read = http.get(f"{base}/{config_id}", headers=HEADERS)
    assert read.status_code == 200, read.text
    assert read.json()["id"] == config_id
    assert http.delete(f"{base}/{config_id}", headers=HEADERS).status_code == 200
    assert http.get(f"{base}/{config_id}", headers=HEADERS).status_code == 404

"""The A2A defects issue 20 lists (numbered as there), each reproduced by request and response (raw
HTTP, or the real a2a-sdk client) against the local stack."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from a2a.types import a2a_pb2 as pb
from a2a.utils.errors import TaskNotCancelableError
from google.protobuf.json_format import MessageToDict

from agent_runtime_client import WebhookPayloadError
from agent_runtime_client.webhooks import verify, verify_payload
from tests.doors.a2a.test_a2a_client import client_for, collect, final_task, run, text_message
from tests.webhook_receiver import receiver

pytestmark = pytest.mark.e2e

HEADERS = {"A2A-Version": "1.0"}


def message(parts: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": parts, **fields}


def rpc(http: httpx.Client, method: str, params: dict[str, Any]) -> dict[str, Any]:
    response = http.post(
        "/a2a", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, headers=HEADERS
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def waiting_approval(http: httpx.Client, title: str) -> dict[str, Any]:
    sent = rpc(
        http,
        "SendMessage",
        {"tenant": "approval", "message": message([{"data": {"title": title, "points": ["p"]}}])},
    )
    task: dict[str, Any] = sent["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED", task
    return task


def task_count(http: httpx.Client) -> int:
    return len(rpc(http, "ListTasks", {"pageSize": 100})["result"]["tasks"])


# -- 1: an answer is kept in the task's history as the client sent it ------------------------------
@pytest.mark.parametrize("answer_parts", [[{"text": "approve: looks right"}], [{"data": {"approved": True}}]])
def test_1_the_answer_is_kept_in_the_history_as_the_client_sent_it(
    http: httpx.Client, answer_parts: list[dict[str, Any]]
) -> None:
    task = waiting_approval(http, "history")
    answer = message(answer_parts, taskId=task["id"], metadata={"from": "client"})
    done = rpc(http, "SendMessage", {"tenant": "approval", "message": answer})["result"]["task"]
    assert done["status"]["state"] == "TASK_STATE_COMPLETED"
    history = rpc(http, "GetTask", {"tenant": "approval", "id": task["id"]})["result"]["history"]
    assert [turn["role"] for turn in history] == ["ROLE_USER", "ROLE_AGENT", "ROLE_USER"]
    last = history[-1]
    assert last["messageId"] == answer["messageId"]
    assert last["parts"] == answer_parts and last["metadata"] == {"from": "client"}
    assert (last["taskId"], last["contextId"]) == (task["id"], task["contextId"])
    # v1 shows the same resolution it always did: the door's copy is not part of it.
    checkpoint = http.get(f"/v1/runs/{task['id']}/checkpoints").json()["data"][0]
    assert "origin" not in checkpoint["resolution"] and checkpoint["resolution"]["via"] == "a2a"


def test_1_an_answer_through_another_door_is_still_shown_as_its_resolution(http: httpx.Client) -> None:
    task = waiting_approval(http, "via v1")
    checkpoint = http.get(f"/v1/runs/{task['id']}/checkpoints").json()["data"][0]
    approved = http.post(f"/v1/runs/{task['id']}/checkpoints/{checkpoint['checkpoint_id']}/approve", json={})
    assert approved.status_code == 200, approved.text
    history = rpc(http, "GetTask", {"tenant": "approval", "id": task["id"]})["result"]["history"]
    assert history[-1]["messageId"].endswith(":answer")
    assert history[-1]["parts"][0]["data"]["decision"] == "approved"


# -- 2: HTTP+JSON: cancelling a finished task is 409, an unsupported part 415 (spec 5.4) -----------
def test_2_cancelling_a_finished_task_over_http_json_is_409(http: httpx.Client) -> None:
    task = waiting_approval(http, "cancel twice")
    first = http.post(f"/a2a/approval/tasks/{task['id']}:cancel", json={}, headers=HEADERS)
    assert first.status_code == 200 and first.json()["status"]["state"] == "TASK_STATE_CANCELED"
    again = http.post(f"/a2a/approval/tasks/{task['id']}:cancel", json={}, headers=HEADERS)
    assert again.status_code == 409, again.text
    error = again.json()["error"]
    assert error["code"] == 409 and error["status"] == "FAILED_PRECONDITION"
    assert error["details"][0]["reason"] == "TASK_NOT_CANCELABLE"
    # JSON-RPC keeps its code in a 200.
    body = rpc(http, "CancelTask", {"tenant": "approval", "id": task["id"]})
    assert body["error"]["code"] == -32002


def test_2_a_standard_client_still_raises_task_not_cancelable_on_a_409(base_url: str, api_key: str) -> None:
    async def session() -> None:
        client, transport = await client_for(base_url, api_key, "HTTP+JSON", "approval", streaming=False)
        async with transport:
            request = pb.SendMessageRequest(message=text_message("cancel me"))
            task = final_task(await collect(client.send_message(request)))
            await client.cancel_task(pb.CancelTaskRequest(id=task.id))
            with pytest.raises(TaskNotCancelableError):
                await client.cancel_task(pb.CancelTaskRequest(id=task.id))

    run(session)


@pytest.mark.parametrize("part", [{"url": "https://example.com/a.pdf"}, {"raw": "aGVsbG8="}])
def test_2_an_unsupported_part_over_http_json_is_415_and_starts_nothing(
    http: httpx.Client, part: dict[str, Any]
) -> None:
    before = task_count(http)
    response = http.post("/a2a/approval/message:send", json={"message": message([part])}, headers=HEADERS)
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["details"][0]["reason"] == "CONTENT_TYPE_NOT_SUPPORTED"
    assert error["details"][1]["fieldViolations"][0]["field"] == "message.parts[0]"
    assert task_count(http) == before


def test_2_a_file_part_answering_an_approval_is_415_and_leaves_it_waiting(http: httpx.Client) -> None:
    task = waiting_approval(http, "file answer")
    answer = message([{"url": "https://example.com/yes.txt"}], taskId=task["id"])
    response = http.post("/a2a/approval/message:send", json={"message": answer}, headers=HEADERS)
    assert response.status_code == 415, response.text
    now = rpc(http, "GetTask", {"tenant": "approval", "id": task["id"]})["result"]
    assert now["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"


# -- 3: a message's role is the user's (ROLE_AGENT is refused, nothing written) --------------------
@pytest.mark.parametrize("role", ["ROLE_AGENT", "ROLE_UNSPECIFIED", 2])
def test_3_a_message_not_from_the_user_is_refused_and_nothing_is_written(
    http: httpx.Client, role: Any
) -> None:
    before = task_count(http)
    sent = {**message([{"data": {"title": "agent says"}}]), "role": role}
    body = rpc(http, "SendMessage", {"tenant": "approval", "message": sent})
    assert body["error"]["code"] == -32602, body
    assert body["error"]["data"][1]["fieldViolations"][0]["field"] == "params.message.role"
    assert task_count(http) == before
    task = waiting_approval(http, "answered by an agent?")
    answer = {**message([{"data": {"approved": True}}], taskId=task["id"]), "role": role}
    body = rpc(http, "SendMessage", {"tenant": "approval", "message": answer})
    assert body["error"]["code"] == -32602
    now = rpc(http, "GetTask", {"tenant": "approval", "id": task["id"]})["result"]
    assert now["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert [turn["role"] for turn in now["history"]] == ["ROLE_USER", "ROLE_AGENT"]


def test_3_the_user_role_as_its_proto_number_is_the_user(http: httpx.Client) -> None:
    sent = {**message([{"data": {"title": "numbered"}}]), "role": 1}
    task = rpc(http, "SendMessage", {"tenant": "approval", "message": sent})["result"]["task"]
    assert task["history"][0]["role"] == "ROLE_USER"


# -- 4: errors are application/json ----------------------------------------------------------------
def test_4_errors_are_application_json_and_results_a2a_json(http: httpx.Client, base_url: str) -> None:
    missing = http.get("/a2a/approval/tasks/nope", headers=HEADERS)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
    unversioned = http.get("/a2a/approval/tasks/nope")
    assert unversioned.status_code == 400 and unversioned.headers["content-type"] == "application/json"
    unknown = httpx.get(f"{base_url}/.well-known/agent-card.json?agent=nope")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/json"
    listed = http.get("/a2a/approval/tasks", headers=HEADERS)
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/a2a+json"


# -- 5: agent cards carry an ETag and answer If-None-Match with 304 --------------------------------
@pytest.mark.parametrize("query", ["", "?agent=approval"])
def test_5_cards_carry_an_etag_and_revalidate_with_304(base_url: str, query: str) -> None:
    url = f"{base_url}/.well-known/agent-card.json{query}"
    first = httpx.get(url)
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('"') and tag.endswith('"')
    assert httpx.get(url).headers["etag"] == tag  # the same card, the same tag
    for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = httpx.get(url, headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"", header
        assert again.headers["etag"] == tag and "max-age" in again.headers["cache-control"]
    changed = httpx.get(url, headers={"If-None-Match": '"not-this-one"'})
    assert changed.status_code == 200 and changed.json() == first.json()


def test_5_each_card_has_its_own_tag(base_url: str) -> None:
    runtime = httpx.get(f"{base_url}/.well-known/agent-card.json").headers["etag"]
    approval = httpx.get(f"{base_url}/.well-known/agent-card.json?agent=approval").headers["etag"]
    assert runtime != approval


# -- 6: statusTimestampAfter is an RFC 3339 timestamp, and filters by time -------------------------
@pytest.mark.parametrize("value", ["-1", "not-a-date", "2026-13-01T00:00:00Z", "2026-01-01", "1700000000"])
def test_6_status_timestamp_after_must_be_a_timestamp(http: httpx.Client, value: str) -> None:
    response = http.get("/a2a/approval/tasks", params={"statusTimestampAfter": value}, headers=HEADERS)
    assert response.status_code == 400, response.text
    violations = response.json()["error"]["details"][1]["fieldViolations"]
    assert violations[0]["field"] == "statusTimestampAfter"
    body = rpc(http, "ListTasks", {"tenant": "approval", "statusTimestampAfter": value})
    assert body["error"]["code"] == -32602


def test_6_status_timestamp_after_filters_by_time(http: httpx.Client) -> None:
    older = waiting_approval(http, "older")
    time.sleep(1.1)
    cut = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    newer = waiting_approval(http, "newer")

    def listed(after: str) -> set[str]:
        page = http.get("/a2a/approval/tasks", params={"statusTimestampAfter": after}, headers=HEADERS)
        assert page.status_code == 200, page.text
        return {t["id"] for t in page.json()["tasks"]}

    assert listed(cut) == {newer["id"]}
    assert {older["id"], newer["id"]} <= listed("2020-01-01T00:00:00+02:00")
    assert listed("2999-01-01T00:00:00.000000001Z") == set()


# -- 7: a standard client (no metadata.skill) can use the runtime's own card -----------------------
def test_7_a_standard_client_can_use_the_runtimes_card(base_url: str, api_key: str) -> None:
    card = httpx.get(f"{base_url}/.well-known/agent-card.json").json()
    default = card["skills"][0]["id"]
    assert default in card["description"]

    async def session() -> None:
        client, transport = await client_for(base_url, api_key, "JSONRPC", None, streaming=False)
        async with transport:
            request = pb.SendMessageRequest(message=text_message("Q1 review"))
            task = final_task(await collect(client.send_message(request)))
            metadata = MessageToDict(task.metadata)
            assert metadata["workflow"]["name"] == default
            assert task.status.state in {pb.TASK_STATE_INPUT_REQUIRED, pb.TASK_STATE_COMPLETED}

    run(session)


def test_7_a_named_skill_still_wins(http: httpx.Client) -> None:
    sent = message([{"text": "hello"}], metadata={"skill": "echo_agent"})
    task = rpc(http, "SendMessage", {"message": sent})["result"]["task"]
    assert task["metadata"]["workflow"]["name"] == "echo_agent"


# -- 8: webhooks.verify says what an A2A push is; webhooks.verify_payload reads it -----------------
def test_8_verify_names_an_a2a_push_and_verify_payload_reads_it(http: httpx.Client) -> None:
    secret = http.post("/v1/webhook-secret/rotate").json()["secret"]
    with receiver() as hooks:
        push = {"taskPushNotificationConfig": {"url": hooks.url}}
        sent = {"message": message([{"text": "pushed"}]), "configuration": push, "tenant": "echo_agent"}
        task = rpc(http, "SendMessage", sent)["result"]["task"]
        deadline = time.monotonic() + 30
        while not hooks.accepted():
            assert time.monotonic() < deadline, "no push notification arrived"
            time.sleep(0.1)
        delivery = hooks.accepted()[0]
    with pytest.raises(WebhookPayloadError) as raised:
        verify(delivery.body, delivery.headers, secret)
    assert "verify_payload" in str(raised.value)
    body = verify_payload(delivery.body, delivery.headers, secret)
    update = next(iter(body.values()))
    assert update.get("taskId", update.get("id")) == task["id"]

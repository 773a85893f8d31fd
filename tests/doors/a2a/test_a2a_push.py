"""A2A push notifications with the real a2a-sdk client and a loopback receiver: a task's push
notification config (given with its first message, or created, replaced and deleted afterwards) is the
run's webhook: a POST signed with Standard Webhooks (the tenant's secret) on every state change,
INPUT_REQUIRED included, each a StreamResponse carrying the event id, with the config's `token` as
X-A2A-Notification-Token and its `authentication` as Authorization. Those two are write-only: in no
view, delivery log or log line. The deliveries are the same log as v1 webhooks."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import httpx
import pytest
from a2a.types import a2a_pb2 as pb
from a2a.utils.errors import InvalidParamsError, TaskNotFoundError, UnsupportedOperationError
from standardwebhooks.webhooks import Webhook

from tests.doors.a2a.test_a2a_client import BINDINGS, client_for, collect, data_message, final_task, run
from tests.webhook_receiver import Received, receiver

pytestmark = pytest.mark.e2e
HEADERS = {"A2A-Version": "1.0"}


def auth_config(url: str, token: str, credentials: str, **fields: Any) -> pb.TaskPushNotificationConfig:
    return pb.TaskPushNotificationConfig(
        url=url,
        token=token,
        authentication=pb.AuthenticationInfo(scheme="Bearer", credentials=credentials),
        **fields,
    )


def push_config(
    url: str, token: str = "task-token", credentials: str = "push-secret"
) -> pb.SendMessageConfiguration:
    return pb.SendMessageConfiguration(task_push_notification_config=auth_config(url, token, credentials))


def wait_for(received: Any, done: Any, timeout: float = 30.0) -> list[Received]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = received()
        if done(got):
            return list(got)
        time.sleep(0.1)
    raise AssertionError(f"push notifications never arrived: {[r.json for r in received()]}")


def state_of(body: dict[str, Any]) -> str:
    if "task" in body:
        return str(body["task"]["status"]["state"])
    if "statusUpdate" in body:
        return str(body["statusUpdate"]["status"]["state"])
    return "artifact"


def seen(hooks: list[Received], **least: int) -> bool:
    """Whether the hooks hold at least so many of each kind (submitted, working, artifact, ...)."""
    kinds = [state_of(r.json).removeprefix("TASK_STATE_").lower() for r in hooks]
    return all(kinds.count(kind) >= n for kind, n in least.items())


def verified(hooks: list[Received], secret: str, token: str, credentials: str) -> list[dict[str, Any]]:
    """The bodies, once each hook's signature and its configured headers are checked."""
    verifier = Webhook(secret)
    for hook in hooks:
        verifier.verify(hook.body, hook.headers)  # raises if the signature or timestamp is wrong
        assert hook.headers.get("authorization") == f"Bearer {credentials}"
        assert hook.headers.get("x-a2a-notification-token") == token
    return sorted((r.json for r in hooks), key=lambda b: next(iter(b.values()))["metadata"]["eventId"])


@pytest.mark.parametrize("binding", BINDINGS)
def test_push_notifications_are_signed_sent_on_every_state_change_and_logged(
    base_url: str, api_key: str, http: httpx.Client, binding: str
) -> None:
    secret = http.post("/v1/webhook-secret/rotate").json()["secret"]
    with receiver() as hooks:
        task_ids: list[str] = []

        async def session() -> None:
            client, transport = await client_for(base_url, api_key, binding, "approval", streaming=False)
            async with transport:
                request = pb.SendMessageRequest(
                    message=data_message({"title": "pushed", "points": ["a"]}),
                    configuration=push_config(hooks.url),
                )
                task = final_task(await collect(client.send_message(request)))
                task_ids.append(task.id)
                assert task.status.state == pb.TASK_STATE_INPUT_REQUIRED
                # The config reads back (its token and credentials are write-only); its id is the task's.
                listed = await client.list_task_push_notification_configs(
                    pb.ListTaskPushNotificationConfigsRequest(task_id=task.id)
                )
                (config,) = listed.configs
                assert (config.id, config.url, config.authentication.scheme) == (task.id, hooks.url, "Bearer")
                assert not config.token and not config.authentication.credentials
                got = await client.get_task_push_notification_config(
                    pb.GetTaskPushNotificationConfigRequest(task_id=task.id, id=config.id)
                )
                assert got == config
                # One config per task: another id is refused.
                with pytest.raises(UnsupportedOperationError):
                    await client.create_task_push_notification_config(
                        pb.TaskPushNotificationConfig(task_id=task.id, id="other", url=hooks.url + "/other")
                    )
                answer = data_message({"approved": True}, task_id=task.id)
                done = final_task(await collect(client.send_message(pb.SendMessageRequest(message=answer))))
                assert done.status.state == pb.TASK_STATE_COMPLETED

        run(session)
        # Deliveries are attempted side by side: wait for every one, not only the last.
        got = wait_for(hooks.accepted, lambda rs: seen(rs, working=2, artifact=1, completed=1))
    bodies = verified(got, secret, "task-token", "push-secret")
    states = [state_of(b) for b in bodies]
    assert states[:3] == ["TASK_STATE_SUBMITTED", "TASK_STATE_WORKING", "TASK_STATE_INPUT_REQUIRED"]
    assert states[-1] == "TASK_STATE_COMPLETED" and "artifact" in states
    asked = next(b for b in bodies if state_of(b) == "TASK_STATE_INPUT_REQUIRED")
    assert asked["statusUpdate"]["status"]["message"]["parts"][-1]["data"]["name"] == "review"
    ids = [next(iter(b.values()))["metadata"]["eventId"] for b in bodies]
    assert len(ids) == len(set(ids))
    # The same delivery log as v1 webhooks.
    (task_id,) = task_ids

    def delivery_log() -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = http.get(f"/v1/runs/{task_id}/deliveries").json()["data"]
        return listed

    # (a delivery is recorded delivered after its receiver answered: a moment after it was heard)
    deliveries = wait_for(delivery_log, lambda log: all(d["status"] != "pending" for d in log))
    assert {d["status"] for d in deliveries} == {"delivered"}
    assert len(deliveries) == len(got)


def test_push_credentials_are_sent_as_headers_and_shown_nowhere(
    base_url: str, api_key: str, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    secret = http.post("/v1/webhook-secret/rotate").json()["secret"]
    token, credentials = f"tok-{uuid.uuid4()}", f"cred-{uuid.uuid4()}"
    with receiver() as hooks:
        task_ids: list[str] = []

        async def session() -> None:
            client, transport = await client_for(base_url, api_key, "HTTP+JSON", "echo", streaming=False)
            async with transport:
                request = pb.SendMessageRequest(
                    message=data_message({"auth": "yes"}),
                    configuration=push_config(hooks.url, token, credentials),
                )
                task_ids.append(final_task(await collect(client.send_message(request))).id)

        run(session)
        got = wait_for(hooks.accepted, lambda rs: seen(rs, submitted=1, working=1, completed=1))
    assert state_of(verified(got, secret, token, credentials)[-1]) == "TASK_STATE_COMPLETED"
    (task_id,) = task_ids
    a2a = httpx.Client(base_url=f"{base_url}/a2a/echo", headers={"x-api-key": api_key, **HEADERS})
    views = {
        "a2a config": a2a.get(f"/tasks/{task_id}/pushNotificationConfigs/{task_id}"),
        "a2a configs": a2a.get(f"/tasks/{task_id}/pushNotificationConfigs"),
        "a2a task": a2a.get(f"/tasks/{task_id}"),
        "v1 run": http.get(f"/v1/runs/{task_id}"),
        "acp run": httpx.get(f"{base_url}/runs/{task_id}", headers={"x-api-key": api_key}),
        "delivery log": http.get(f"/v1/runs/{task_id}/deliveries"),
    }
    for name, response in views.items():
        assert response.status_code == 200, name
        assert token not in response.text and credentials not in response.text, name
    assert views["a2a config"].json()["authentication"] == {"scheme": "Bearer"}
    assert len(views["delivery log"].json()["data"]) == len(got)
    assert caplog.records and not [
        r for r in caplog.records if token in r.getMessage() or credentials in r.getMessage()
    ]


@pytest.mark.parametrize("binding", BINDINGS)
def test_a_config_is_created_replaced_and_deleted_on_an_existing_task(
    base_url: str, api_key: str, http: httpx.Client, binding: str
) -> None:
    secret = http.post("/v1/webhook-secret/rotate").json()["secret"]
    with receiver() as hooks:

        async def session() -> None:
            client, transport = await client_for(base_url, api_key, binding, "approval", streaming=False)
            async with transport:
                first = pb.SendMessageRequest(message=data_message({"title": "later", "points": ["a"]}))
                task = final_task(await collect(client.send_message(first)))
                assert task.status.state == pb.TASK_STATE_INPUT_REQUIRED
                listing = pb.ListTaskPushNotificationConfigsRequest(task_id=task.id)
                assert not (await client.list_task_push_notification_configs(listing)).configs
                created = await client.create_task_push_notification_config(
                    auth_config(hooks.url, "old-token", "old-secret", task_id=task.id, id="cfg-1")
                )
                assert (created.id, created.task_id, created.url) == ("cfg-1", task.id, hooks.url)
                assert not created.token and not created.authentication.credentials
                # The same id replaces it (new credentials); another id is refused (one per task).
                replaced = await client.create_task_push_notification_config(
                    auth_config(hooks.url, "new-token", "new-secret", task_id=task.id, id="cfg-1")
                )
                assert replaced == created
                with pytest.raises(UnsupportedOperationError):
                    await client.create_task_push_notification_config(
                        auth_config(hooks.url, "t", "c", task_id=task.id, id="cfg-2")
                    )
                listed = await client.list_task_push_notification_configs(listing)
                assert [c.id for c in listed.configs] == ["cfg-1"]
                get = pb.GetTaskPushNotificationConfigRequest(task_id=task.id, id="cfg-1")
                assert await client.get_task_push_notification_config(get) == created
                # The notifications after it carry the config's current credentials.
                answer = data_message({"approved": True}, task_id=task.id)
                done = final_task(await collect(client.send_message(pb.SendMessageRequest(message=answer))))
                assert done.status.state == pb.TASK_STATE_COMPLETED
                task_ids.append(task.id)

        async def after_the_end() -> None:
            client, transport = await client_for(base_url, api_key, binding, "approval", streaming=False)
            async with transport:
                (task_id,) = task_ids
                # A terminal task gets no new config, but can lose its own (twice: deleting is idempotent).
                with pytest.raises(UnsupportedOperationError):
                    await client.create_task_push_notification_config(
                        pb.TaskPushNotificationConfig(task_id=task_id, url=hooks.url)
                    )
                delete = pb.DeleteTaskPushNotificationConfigRequest(task_id=task_id, id="cfg-1")
                await client.delete_task_push_notification_config(delete)
                await client.delete_task_push_notification_config(delete)
                listing = pb.ListTaskPushNotificationConfigsRequest(task_id=task_id)
                assert not (await client.list_task_push_notification_configs(listing)).configs
                with pytest.raises(TaskNotFoundError):
                    get = pb.GetTaskPushNotificationConfigRequest(task_id=task_id, id="cfg-1")
                    await client.get_task_push_notification_config(get)

        task_ids: list[str] = []
        run(session)
        got = wait_for(hooks.accepted, lambda rs: seen(rs, working=1, completed=1))
        run(after_the_end)
    bodies = verified(got, secret, "new-token", "new-secret")
    assert state_of(bodies[0]) == "TASK_STATE_WORKING"  # from the answer on
    assert state_of(bodies[-1]) == "TASK_STATE_COMPLETED"
    assert http.get(f"/v1/runs/{task_ids[0]}").json()["callback_url"] is None


def _create_config(
    base_url: str, api_key: str, binding: str, task_id: str, config: dict[str, Any]
) -> httpx.Response:
    headers = {"x-api-key": api_key, **HEADERS}
    if binding == "JSONRPC":
        call = {"jsonrpc": "2.0", "id": 1, "method": "CreateTaskPushNotificationConfig"}
        body = {**call, "params": {"tenant": "echo", "taskId": task_id, **config}}
        return httpx.post(f"{base_url}/a2a", json=body, headers=headers)
    return httpx.post(
        f"{base_url}/a2a/echo/tasks/{task_id}/pushNotificationConfigs", json=config, headers=headers
    )


def _violations(binding: str, response: httpx.Response) -> list[str]:
    """The fields an InvalidParams names, in either binding's shape."""
    if binding == "JSONRPC":
        error = response.json()["error"]
        assert (response.status_code, error["code"]) == (200, -32602), response.text
        details = error["data"]
    else:
        assert response.status_code == 400 and response.json()["error"]["status"] == "INVALID_ARGUMENT"
        details = response.json()["error"]["details"]
    return [v["field"] for d in details for v in d.get("fieldViolations", [])]


@pytest.mark.parametrize("binding", BINDINGS)
def test_configs_that_would_send_unsafe_headers_or_urls_are_refused_and_nothing_is_written(
    base_url: str, api_key: str, http: httpx.Client, binding: str
) -> None:
    with receiver() as hooks:

        async def session() -> None:
            client, transport = await client_for(base_url, api_key, binding, "echo", streaming=False)
            async with transport:
                request = pb.SendMessageRequest(message=data_message({"plain": True}))
                task_ids.append(final_task(await collect(client.send_message(request))).id)
                bad = pb.SendMessageRequest(
                    message=data_message({"bad": True}),
                    configuration=push_config(hooks.url, token="a\r\nHost: x"),
                )
                with pytest.raises(InvalidParamsError):
                    await collect(client.send_message(bad))

        task_ids: list[str] = []
        run(session)
        (task_id,) = task_ids
        prefix = "params." if binding == "JSONRPC" else ""
        refused: dict[str, dict[str, Any]] = {
            "token": {"url": hooks.url, "token": "a\nX-Injected: 1"},
            "authentication.scheme": {
                "url": hooks.url,
                "authentication": {"scheme": "Bearer x", "credentials": "c"},
            },
            "authentication.credentials": {
                "url": hooks.url,
                "authentication": {"scheme": "Bearer", "credentials": "c\r\nHost: evil"},
            },
            "url": {"url": "https://169.254.169.254/latest", "token": "t"},
        }
        for field, config in refused.items():
            response = _create_config(base_url, api_key, binding, task_id, config)
            assert _violations(binding, response) == [prefix + field], field
    assert len(http.get("/v1/runs").json()["data"]) == 1  # the refused SendMessage made no task
    assert http.get(f"/v1/runs/{task_id}").json()["callback_url"] is None
    configs = httpx.get(
        f"{base_url}/a2a/echo/tasks/{task_id}/pushNotificationConfigs",
        headers={"x-api-key": api_key, **HEADERS},
    )
    assert configs.json()["configs"] == []


def test_a_push_url_the_guard_refuses_names_the_field(base_url: str, api_key: str) -> None:
    body = {
        "message": {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"data": {"x": 1}}]},
        "configuration": {"taskPushNotificationConfig": {"url": "https://169.254.169.254/latest"}},
    }
    response = httpx.post(
        f"{base_url}/a2a/echo/message:send", json=body, headers={"x-api-key": api_key, "A2A-Version": "1.0"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    violations = error["details"][1]["fieldViolations"]
    assert violations[0]["field"] == "configuration.taskPushNotificationConfig.url", json.dumps(error)

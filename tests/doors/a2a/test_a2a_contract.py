"""Both A2A bindings against A2A 1.0's JSON Schema (tests/doors/a2a/spec/: generated from the spec's
proto at v1.0.1; see its README): cards, SendMessage, GetTask, ListTasks, CancelTask, every streamed
StreamResponse, push configs and the extended card, over real HTTP; error bodies in each binding's
shape (a JSON-RPC error object with A2A's code; google.rpc.Status with an ErrorInfo reason)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

pytestmark = pytest.mark.e2e

SCHEMA = Path(__file__).resolve().parent / "spec" / "a2a-v1.0.schema.json"
HEADERS = {"A2A-Version": "1.0"}


@cache
def validator(definition: str) -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    return Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})


def check(definition: str, value: Any) -> None:
    errors = sorted(validator(definition).iter_errors(value), key=lambda e: list(e.path))
    assert not errors, f"{definition}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def sse_data(text: str) -> list[Any]:
    return [json.loads(line[len("data: ") :]) for line in text.splitlines() if line.startswith("data: ")]


class Binding:
    """Each A2A operation over one binding, returning the operation's result object."""

    def __init__(self, http: httpx.Client, kind: str, tenant: str) -> None:
        self.http, self.kind, self.tenant = http, kind, tenant

    def _rpc(self, method: str, params: dict[str, Any], stream: bool = False) -> Any:
        body = {
            "jsonrpc": "2.0",
            "id": str(uuid.uuid4()),
            "method": method,
            "params": {"tenant": self.tenant, **params},
        }
        response = self.http.post("/a2a", json=body, headers=HEADERS)
        assert response.status_code == 200, response.text
        if stream:
            frames = sse_data(response.text)
            for frame in frames:
                assert frame["jsonrpc"] == "2.0" and frame["id"] == body["id"], frame
            return [f["result"] for f in frames]
        payload = response.json()
        assert payload["id"] == body["id"] and "result" in payload, payload
        return payload["result"]

    def _rest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"/a2a/{self.tenant}{path}", headers=HEADERS, **kwargs)

    def send(self, request: dict[str, Any]) -> Any:
        if self.kind == "JSONRPC":
            return self._rpc("SendMessage", request)
        response = self._rest("POST", "/message:send", json=request)
        assert response.status_code == 200 and response.headers["content-type"] == "application/a2a+json"
        return response.json()

    def stream(self, request: dict[str, Any]) -> list[Any]:
        if self.kind == "JSONRPC":
            return list(self._rpc("SendStreamingMessage", request, stream=True))
        response = self._rest("POST", "/message:stream", json=request)
        assert response.headers["content-type"].startswith("text/event-stream")
        return sse_data(response.text)

    def subscribe(self, task_id: str, after: int) -> list[Any]:
        headers = {**HEADERS, "Last-Event-ID": str(after)}
        if self.kind == "JSONRPC":
            body = {"jsonrpc": "2.0", "id": 1, "method": "SubscribeToTask", "params": {"id": task_id}}
            return [f["result"] for f in sse_data(self.http.post("/a2a", json=body, headers=headers).text)]
        return sse_data(self.http.get(f"/a2a/{self.tenant}/tasks/{task_id}:subscribe", headers=headers).text)

    def get(self, task_id: str) -> Any:
        if self.kind == "JSONRPC":
            return self._rpc("GetTask", {"id": task_id, "historyLength": 5})
        return self._rest("GET", f"/tasks/{task_id}", params={"historyLength": 5}).json()

    def list(self) -> Any:
        if self.kind == "JSONRPC":
            return self._rpc("ListTasks", {"pageSize": 2, "includeArtifacts": True})
        return self._rest("GET", "/tasks", params={"pageSize": 2, "includeArtifacts": "true"}).json()

    def cancel(self, task_id: str) -> Any:
        if self.kind == "JSONRPC":
            return self._rpc("CancelTask", {"id": task_id})
        return self._rest("POST", f"/tasks/{task_id}:cancel", json={}).json()

    def push_configs(self, task_id: str) -> tuple[Any, Any]:
        if self.kind == "JSONRPC":
            listed = self._rpc("ListTaskPushNotificationConfigs", {"taskId": task_id})
            one = self._rpc(
                "GetTaskPushNotificationConfig", {"taskId": task_id, "id": listed["configs"][0]["id"]}
            )
            return listed, one
        listed = self._rest("GET", f"/tasks/{task_id}/pushNotificationConfigs").json()
        one = self._rest(
            "GET", f"/tasks/{task_id}/pushNotificationConfigs/{listed['configs'][0]['id']}"
        ).json()
        return listed, one

    def create_push(self, task_id: str, config: dict[str, Any]) -> Any:
        if self.kind == "JSONRPC":
            return self._rpc("CreateTaskPushNotificationConfig", {"taskId": task_id, **config})
        return self._rest("POST", f"/tasks/{task_id}/pushNotificationConfigs", json=config).json()

    def delete_push(self, task_id: str, config_id: str) -> Any:
        if self.kind == "JSONRPC":
            return self._rpc("DeleteTaskPushNotificationConfig", {"taskId": task_id, "id": config_id})
        return self._rest("DELETE", f"/tasks/{task_id}/pushNotificationConfigs/{config_id}").json()

    def extended_card(self) -> Any:
        if self.kind == "JSONRPC":
            return self._rpc("GetExtendedAgentCard", {})
        return self._rest("GET", "/extendedAgentCard").json()

    def error(self, method: str, params: dict[str, Any], rest: tuple[str, str]) -> tuple[int, Any]:
        if self.kind == "JSONRPC":
            response = self.http.post(
                "/a2a", json={"jsonrpc": "2.0", "id": 9, "method": method, "params": params}, headers=HEADERS
            )
            return response.status_code, response.json()
        response = self._rest(rest[0], rest[1], json=params if rest[0] == "POST" else None)
        return response.status_code, response.json()


@pytest.fixture(params=["JSONRPC", "HTTP+JSON"])
def binding(request: pytest.FixtureRequest, http: httpx.Client) -> Iterator[Binding]:
    yield Binding(http, request.param, "approval")


def message(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"data": data}], **fields}


def test_cards_match_the_schema(base_url: str) -> None:
    check("AgentCard", httpx.get(f"{base_url}/.well-known/agent-card.json").json())
    check("AgentCard", httpx.get(f"{base_url}/.well-known/agent-card.json?agent=approval").json())


def test_every_result_of_both_bindings_matches_the_schema(binding: Binding, base_url: str) -> None:
    push = {"taskPushNotificationConfig": {"url": "http://127.0.0.1:9/hooks", "token": "t"}}
    sent = binding.send({"message": message({"title": "contract", "points": ["p"]}), "configuration": push})
    check("SendMessageResponse", sent)
    task = sent["task"]
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    check("Task", binding.get(task["id"]))
    listed, one = binding.push_configs(task["id"])
    check("ListTaskPushNotificationConfigsResponse", listed)
    check("TaskPushNotificationConfig", one)
    auth = {"scheme": "Bearer", "credentials": "c"}
    replaced = binding.create_push(task["id"], {"id": one["id"], "url": one["url"], "authentication": auth})
    check("TaskPushNotificationConfig", replaced)
    answer = message({"approved": True, "comment": "ok"}, taskId=task["id"])
    streamed = binding.stream({"message": answer})
    assert streamed and "task" in streamed[0]
    for frame in streamed:
        check("StreamResponse", frame)
    assert streamed[-1]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"
    assert binding.delete_push(task["id"], one["id"]) == {}  # google.protobuf.Empty
    replayed = binding.subscribe(task["id"], 0)
    for frame in replayed:
        check("StreamResponse", frame)
    page = binding.list()
    check("ListTasksResponse", page)
    assert page["nextPageToken"] != "" or len(page["tasks"]) <= 2
    check("AgentCard", binding.extended_card())
    waiting = binding.send({"message": message({"title": "to cancel"})})["task"]
    check("Task", binding.cancel(waiting["id"]))


def test_errors_take_each_bindings_shape(binding: Binding) -> None:
    status, body = binding.error("GetTask", {"tenant": "approval", "id": "nope"}, ("GET", "/tasks/nope"))
    if binding.kind == "JSONRPC":
        assert status == 200 and body["error"]["code"] == -32001 and body["id"] == 9
        detail = body["error"]["data"][0]
    else:
        assert status == 404 and body["error"]["code"] == 404 and body["error"]["status"] == "NOT_FOUND"
        detail = body["error"]["details"][0]
    assert detail == {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "TASK_NOT_FOUND",
        "domain": "a2a-protocol.org",
        "metadata": {"taskId": "nope"},
    }
    status, body = binding.error(
        "SendMessage",
        {"tenant": "approval", "message": message({"points": "no"})},
        ("POST", "/message:send"),
    )
    if binding.kind == "JSONRPC":
        assert body["error"]["code"] == -32602
        violations = body["error"]["data"][1]["fieldViolations"]
    else:
        assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
        violations = body["error"]["details"][1]["fieldViolations"]
    assert {v["field"] for v in violations} >= {"message.parts[0].data.title", "message.parts[0].data.points"}


def test_unknown_methods_and_operations(http: httpx.Client) -> None:
    body = http.post("/a2a", json={"jsonrpc": "2.0", "id": 1, "method": "tasks/get"}, headers=HEADERS).json()
    assert body["error"]["code"] == -32601
    body = http.post("/a2a", content=b"{", headers={**HEADERS, "Content-Type": "application/json"}).json()
    assert body["error"]["code"] == -32700 and body["id"] is None
    response = http.put("/a2a/approval/tasks", headers=HEADERS)
    assert response.status_code == 405  # the gateway's answer, as in the cloud
    response = http.get("/a2a/approval/nothing/here", headers=HEADERS)
    assert (
        response.status_code == 404 and response.json()["error"]["details"][0]["reason"] == "METHOD_NOT_FOUND"
    )

"""The Tasks extension over raw JSON-RPC against the local stack, every message held to the extension's
published JSON Schema (tests/doors/mcp/schemas/): a tool call that waits for a human is a task; tasks/get
polls it, shows the checkpoint as an input request (its prompt and response schema) and the result once done;
tasks/update answers it, exactly once, as does any other door; tasks/cancel cancels the run."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from agent_runtime.engine import Engine
from tests.doors.mcp.conftest import conforms, envelope, post, rpc


def start_task(http: httpx.Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    body = envelope("tools/call", {"name": tool, "arguments": arguments})
    conforms(body, "JSONRPCRequest")
    created = rpc(http, "tools/call", {"name": tool, "arguments": arguments})
    conforms(created, "CreateTaskResult")
    assert created["resultType"] == "task"
    return created


def get(http: httpx.Client, task_id: str) -> dict[str, Any]:
    body = envelope("tasks/get", {"taskId": task_id})
    conforms(body, "GetTaskRequest")
    task = rpc(http, "tasks/get", {"taskId": task_id})
    conforms(task, "GetTaskResult")
    return task


def until(http: httpx.Client, task_id: str, status: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while (task := get(http, task_id))["status"] != status:
        assert time.monotonic() < deadline, task
        time.sleep(0.2)
    return task


def update(http: httpx.Client, task_id: str, responses: dict[str, Any]) -> dict[str, Any]:
    body = envelope("tasks/update", {"taskId": task_id, "inputResponses": responses})
    conforms(body, "UpdateTaskRequest")
    ack = rpc(http, "tasks/update", {"taskId": task_id, "inputResponses": responses})
    conforms(ack, "UpdateTaskResult")
    return ack


def resolved_events(tenant: str, run_id: str) -> list[dict[str, Any]]:
    Engine.default().runs.get(tenant, run_id)  # the tenant's run
    events = Engine.default().store.events.after(run_id, 0, 1000)
    return [e.data for e in events if e.type == "checkpoint.resolved"]


def test_a_run_waiting_for_a_human_is_an_input_required_task_with_the_checkpoints_prompt_and_schema(
    http: httpx.Client,
) -> None:
    created = start_task(http, "approval", {"title": "Q3 report", "points": ["revenue up"]})
    task = until(http, created["taskId"], "input_required")
    conforms(task, "InputRequiredTask")
    [(key, request)] = task["inputRequests"].items()
    conforms(request, "ElicitRequest")
    assert request["method"] == "elicitation/create"
    assert request["params"]["message"] == "Approve publishing 'Q3 report'?"
    assert request["params"]["requestedSchema"]["properties"]["approved"] == {
        "type": "boolean",
        "title": "Approved",
    }
    checkpoint = request["params"]["_meta"]["io.agent-runtime/checkpoint"]
    assert checkpoint["id"] == key
    assert checkpoint["responseSchema"]["required"] == ["approved"]
    assert checkpoint["payload"]["title"] == "Q3 report"


def test_tasks_update_answers_the_checkpoint_once_and_the_task_completes_with_the_output(
    http: httpx.Client, tenant: str
) -> None:
    created = start_task(http, "approval", {"title": "Q3 report"})
    task_id = created["taskId"]
    key = next(iter(until(http, task_id, "input_required")["inputRequests"]))
    answer = {key: {"action": "accept", "content": {"approved": True, "comment": "ship it"}}}
    update(http, task_id, answer)
    update(http, task_id, answer)  # a repeat is no longer outstanding: acknowledged, ignored
    update(http, task_id, {key: {"action": "decline"}})  # so is a change of mind
    done = until(http, task_id, "completed")
    conforms(done, "CompletedTask")
    assert done["result"]["isError"] is False
    assert done["result"]["structuredContent"]["comment"] == "ship it"
    assert [(e["decision"], e["via"]) for e in resolved_events(tenant, task_id)] == [("approved", "mcp")]


def test_an_answer_through_the_v1_api_resumes_the_task_and_a_later_tasks_update_changes_nothing(
    http: httpx.Client, tenant: str
) -> None:
    task_id = start_task(http, "approval", {"title": "Q4"})["taskId"]
    key = next(iter(until(http, task_id, "input_required")["inputRequests"]))
    approved = http.post(f"/v1/runs/{task_id}/checkpoints/{key}/approve", json={"comment": "from v1"})
    assert approved.status_code == 200, approved.text
    update(http, task_id, {key: {"action": "decline"}})
    done = until(http, task_id, "completed")
    assert done["result"]["structuredContent"]["comment"] == "from v1"
    assert [(e["decision"], e["via"]) for e in resolved_events(tenant, task_id)] == [("approved", "api")]


def test_declining_an_approval_rejects_it_and_the_task_completes_as_a_tool_error(http: httpx.Client) -> None:
    task_id = start_task(http, "approval", {"title": "Q4"})["taskId"]
    key = next(iter(until(http, task_id, "input_required")["inputRequests"]))
    update(http, task_id, {key: {"action": "decline"}})
    done = until(http, task_id, "completed")
    assert done["result"]["isError"] is True
    assert done["result"]["_meta"]["io.agent-runtime/run"]["status"] == "failed"


def test_an_input_checkpoint_takes_the_form_content_and_refuses_content_off_its_schema(
    http: httpx.Client,
) -> None:
    task_id = start_task(http, "intake", {"purpose": "loan"})["taskId"]
    task = until(http, task_id, "input_required")
    [(key, request)] = task["inputRequests"].items()
    form = request["params"]["requestedSchema"]
    assert form["required"] == ["name", "email", "amount"]
    assert form["properties"]["notes"]["type"] == "string"  # optional: `anyOf [string, null]` as string
    bad = post(
        http,
        envelope(
            "tasks/update",
            {"taskId": task_id, "inputResponses": {key: {"action": "accept", "content": {"name": "Ada"}}}},
        ),
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == -32602
    fields = {e["field"] for e in bad.json()["error"]["data"]["errors"]}
    assert f"params.inputResponses.{key}.content.email" in fields
    assert get(http, task_id)["status"] == "input_required"  # nothing was written
    applicant = {"name": "Ada", "email": "ada@example.com", "amount": 1200}
    update(http, task_id, {key: {"action": "accept", "content": applicant}})
    done = until(http, task_id, "completed")
    assert done["result"]["structuredContent"] == {
        "applicant": applicant,
        "expired": False,
    }


def test_tasks_cancel_cancels_the_run_and_a_late_answer_changes_nothing(
    http: httpx.Client, tenant: str
) -> None:
    task_id = start_task(http, "approval", {"title": "Q1"})["taskId"]
    key = next(iter(until(http, task_id, "input_required")["inputRequests"]))
    body = envelope("tasks/cancel", {"taskId": task_id})
    conforms(body, "CancelTaskRequest")
    conforms(rpc(http, "tasks/cancel", {"taskId": task_id}), "CancelTaskResult")
    cancelled = get(http, task_id)
    conforms(cancelled, "CancelledTask")
    assert Engine.default().runs.get(tenant, task_id).status == "cancelled"
    update(http, task_id, {key: {"action": "accept", "content": {"approved": True}}})
    assert get(http, task_id)["status"] == "cancelled"
    assert resolved_events(tenant, task_id) == []
    conforms(rpc(http, "tasks/cancel", {"taskId": task_id}), "CancelTaskResult")  # cancelling again: acked


def test_a_task_of_another_tenant_or_none_is_invalid_params(http: httpx.Client, base_url: str) -> None:
    task_id = start_task(http, "approval", {"title": "mine"})["taskId"]
    other = Engine.default().api_keys.create("someone-else")
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {other}"}, timeout=30
    ) as stranger:
        for method in ("tasks/get", "tasks/cancel"):
            response = post(stranger, envelope(method, {"taskId": task_id}))
            assert response.status_code == 400
            assert response.json()["error"]["code"] == -32602
    response = post(http, envelope("tasks/get", {"taskId": "no-such-task"}))
    assert response.json()["error"]["code"] == -32602
    assert get(http, task_id)["status"] in {"working", "input_required"}  # still there, untouched


def test_tasks_methods_need_the_extension_declared_on_the_request(http: httpx.Client) -> None:
    task_id = start_task(http, "approval", {"title": "x"})["taskId"]
    response = post(http, envelope("tasks/get", {"taskId": task_id}, tasks=False))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32021


def test_a_quick_run_is_answered_as_its_result_even_for_a_client_that_takes_tasks(http: httpx.Client) -> None:
    result = rpc(http, "tools/call", {"name": "echo", "arguments": {"a": 1}})
    assert result["resultType"] == "complete"
    assert result["structuredContent"] == {"a": 1}


def test_a_progress_token_streams_the_runs_events_as_progress_then_the_result(http: httpx.Client) -> None:
    body = envelope("tools/call", {"name": "echo", "arguments": {"a": 1}, "_meta": {"progressToken": "p1"}})
    response = post(http, body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    messages = [
        json.loads(line[len("data: ") :]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    *progress, final = messages
    assert [m["method"] for m in progress] == ["notifications/progress"] * len(progress)
    assert [m["params"]["progressToken"] for m in progress] == ["p1"] * len(progress)
    steps = [m["params"]["progress"] for m in progress]
    assert steps == sorted(steps) and len(set(steps)) == len(steps) and steps[0] == 1
    types = [m["params"]["message"] for m in progress]
    assert types[0] == "run.created" and types[-1] == "run.succeeded"
    assert final["id"] == 1 and final["result"]["structuredContent"] == {"a": 1}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Mcp-Method": "tools/list"}, 400, -32020),  # the header disagrees with the body's method
        ({"Mcp-Name": "approval"}, 400, -32020),  # ... with params.name
        ({"MCP-Protocol-Version": "2025-11-25"}, 400, -32022),
    ],
)
def test_headers_must_agree_with_the_body_and_name_a_served_version(
    http: httpx.Client, tenant: str, headers: dict[str, str], status: int, code: int
) -> None:
    response = post(http, envelope("tools/call", {"name": "echo", "arguments": {}}), **headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    if code == -32022:
        assert response.json()["error"]["data"] == {"supported": ["2026-07-28"], "requested": "2025-11-25"}
    assert list(Engine.default().runs.scan(tenant, 10)) == []


def test_what_is_not_a_served_request_gets_the_transports_answer(http: httpx.Client) -> None:
    assert post(http, envelope("resources/list")).status_code == 404
    assert post(http, envelope("resources/list")).json()["error"]["code"] == -32601
    notification = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {}}
    assert http.post("/mcp", json=notification).status_code == 202
    garbled = http.post("/mcp", content=b"{not json", headers={"Content-Type": "application/json"})
    assert (garbled.status_code, garbled.json()["error"]["code"]) == (400, -32700)
    no_meta = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    assert (no_meta.status_code, no_meta.json()["error"]["code"]) == (400, -32602)
    assert http.get("/mcp").status_code == 405
    legacy = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25"}}
    old = http.post("/mcp", json=legacy)
    assert (old.status_code, old.json()["error"]["code"]) == (400, -32022)
    assert old.json()["error"]["data"] == {"supported": ["2026-07-28"], "requested": "2025-11-25"}
    foreign = post(http, envelope("tools/list"), Origin="https://evil.example")
    assert foreign.status_code == 403


def test_the_readmes_curl_request_lists_the_tools_without_a_key_locally(base_url: str) -> None:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    response = httpx.post(
        f"{base_url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}},
        headers={
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": "tools/list",
        },
    )
    assert response.status_code == 200
    assert "echo" in {tool["name"] for tool in response.json()["result"]["tools"]}


def test_an_idempotency_key_in_meta_makes_a_retried_call_the_same_run(
    http: httpx.Client, tenant: str
) -> None:
    meta = {"io.agent-runtime/idempotencyKey": "call-1"}
    first = rpc(http, "tools/call", {"name": "echo", "arguments": {"a": 1}, "_meta": meta})
    again = rpc(http, "tools/call", {"name": "echo", "arguments": {"a": 1}, "_meta": meta})
    run_id = first["_meta"]["io.agent-runtime/run"]["id"]
    assert again["_meta"]["io.agent-runtime/run"]["id"] == run_id
    assert [run.run_id for run in Engine.default().runs.scan(tenant, 10)] == [run_id]
    other = post(http, envelope("tools/call", {"name": "echo", "arguments": {"a": 2}, "_meta": meta}))
    assert (other.status_code, other.json()["error"]["code"]) == (400, -32602)
    assert (
        other.json()["error"]["data"]["errors"][0]["field"] == "params._meta.io.agent-runtime/idempotencyKey"
    )


def test_a_run_started_through_v1_can_be_polled_and_answered_as_a_task(
    http: httpx.Client, tenant: str
) -> None:
    created = http.post("/v1/runs", json={"workflow": {"name": "approval"}, "input": {"title": "via v1"}})
    task_id = created.json()["run_id"]
    key = next(iter(until(http, task_id, "input_required")["inputRequests"]))
    update(http, task_id, {key: {"action": "accept", "content": {"approved": True, "comment": "via mcp"}}})
    assert until(http, task_id, "completed")["result"]["structuredContent"]["comment"] == "via mcp"
    assert Engine.default().runs.get(tenant, task_id).protocol == "v1"


def test_answers_racing_through_mcp_and_v1_resume_the_run_exactly_once(
    http: httpx.Client, tenant: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    task_id = start_task(http, "approval", {"title": "race"})["taskId"]
    key = next(iter(until(http, task_id, "input_required")["inputRequests"]))
    answer = {key: {"action": "accept", "content": {"approved": True, "comment": "mcp"}}}

    def through_mcp(_: int) -> int:
        return post(http, envelope("tasks/update", {"taskId": task_id, "inputResponses": answer})).status_code

    def through_v1(_: int) -> int:
        return http.post(f"/v1/runs/{task_id}/checkpoints/{key}/approve", json={"comment": "v1"}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        mcp = [pool.submit(through_mcp, i) for i in range(3)]
        v1 = [pool.submit(through_v1, i) for i in range(2)]
        assert {f.result() for f in mcp} == {200}  # every MCP answer is acknowledged
        v1_statuses = sorted(f.result() for f in v1)
    until(http, task_id, "completed")
    [resolved] = resolved_events(tenant, task_id)
    assert resolved["via"] in {"mcp", "api"}
    assert v1_statuses.count(200) == (1 if resolved["via"] == "api" else 0)
    assert set(v1_statuses) <= {200, 409}


def test_a_response_holds_the_result_and_the_progress_that_fits_beside_it(http: httpx.Client) -> None:
    # `loud` emits 3.6 MiB of events and returns 1.9 MiB: together more than one response may hold.
    body = envelope("tools/call", {"name": "loud", "arguments": {}, "_meta": {"progressToken": 7}})
    response = post(http, body)
    assert response.status_code == 200
    assert len(response.content) <= 4 * 1024 * 1024
    messages = [
        json.loads(line[len("data: ") :]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    *progress, final = messages
    assert final["result"]["structuredContent"]["text"].startswith("ooo")
    assert [m["params"]["progress"] for m in progress] == list(range(1, len(progress) + 1))  # from the first
    assert 1 <= len(progress) < 8  # not every event fitted


def test_a_large_output_is_sent_once_and_its_progress_fits_beside_it(http: httpx.Client) -> None:
    big = {"text": "x" * (1900 * 1024)}  # outputs reach 2 MiB
    result = rpc(http, "tools/call", {"name": "echo", "arguments": big})
    assert result["structuredContent"] == big
    size = len(json.dumps(big, separators=(",", ":")))
    assert result["content"] == [
        {"type": "text", "text": f"the output ({size} bytes of JSON) is in structuredContent"}
    ]
    body = envelope("tools/call", {"name": "echo", "arguments": big, "_meta": {"progressToken": "big"}})
    response = post(http, body)
    assert response.status_code == 200
    assert len(response.content) <= 4 * 1024 * 1024
    messages = [
        json.loads(line[len("data: ") :]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    assert messages[0]["params"]["message"] == "run.created"
    assert messages[-1]["result"]["structuredContent"] == big


def test_a_throttled_store_is_a_503_to_retry_and_the_retry_with_its_key_makes_one_run(
    http: httpx.Client, tenant: str
) -> None:
    from agent_runtime_local.faults import Fault, injected

    meta = {"io.agent-runtime/idempotencyKey": "throttled-call"}
    body = envelope("tools/call", {"name": "echo", "arguments": {"a": 1}, "_meta": meta})
    with injected(Fault("dynamodb:TransactWriteItems", function="mcp")) as (fault,):
        refused = post(http, body)
    assert fault.hits == 1
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "1")
    assert refused.json()["error"]["code"] == -32002
    assert list(Engine.default().runs.scan(tenant, 10)) == []  # nothing was written
    first = post(http, body).json()["result"]
    again = post(http, body).json()["result"]
    assert first["_meta"]["io.agent-runtime/run"]["id"] == again["_meta"]["io.agent-runtime/run"]["id"]
    assert len(list(Engine.default().runs.scan(tenant, 10))) == 1


def test_a_checkpoint_answered_through_mcp_reads_back_through_v1_as_the_contract_and_the_sdk_say(
    http: httpx.Client,
) -> None:
    # Its resolution says `via: "mcp"`: the v1 contract's enum and the SDK's models must know the value.
    from agent_runtime_client.models import Checkpoint
    from tests.doors.v1.test_openapi import conforms as v1_conforms

    task_id = start_task(http, "approval", {"title": "Q3 report"})["taskId"]
    key = next(iter(until(http, task_id, "input_required")["inputRequests"]))
    update(http, task_id, {key: {"action": "accept", "content": {"approved": True}}})
    until(http, task_id, "completed")
    read = v1_conforms(http.get(f"/v1/runs/{task_id}/checkpoints/{key}"), "get_checkpoint")
    assert read.json()["resolution"]["via"] == "mcp"
    assert Checkpoint.model_validate(read.json()).resolution.via == "mcp"

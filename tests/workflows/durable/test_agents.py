"""Agents that think, on the local stack: model calls as durable operations, tokens streamed with their
message ids, tool calls a person reviews from two doors, budgets."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.workflows.durable.samples import MODEL_CALLS


def _pending(api: Api, run_id: str) -> dict[str, Any]:
    api.wait(run_id, {"waiting_for_input"}, timeout=60)
    [checkpoint] = [
        c for c in api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"] if c["status"] == "pending"
    ]
    return checkpoint  # type: ignore[no-any-return]


def test_a_model_call_is_replayed_from_the_store_never_made_again(api: Api) -> None:
    key = uuid.uuid4().hex[:8]
    run_id = api.create("d_chat", {"key": key, "calls": 2}).json()["run_id"]
    _pending(api, run_id)
    assert MODEL_CALLS[key] == 2
    api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert run["output"]["texts"] == ["hello there, turn 0", "hello there, turn 1"]
    assert MODEL_CALLS[key] == 2  # the resumed run replayed both calls
    [(model, tokens)] = run["usage"]["models"].items()
    assert model.startswith("scripted") and tokens["calls"] == 2


def test_tokens_stream_in_order_with_their_message_ids(api: Api) -> None:
    run_id = api.create("d_chat", {"key": uuid.uuid4().hex[:8], "calls": 2}).json()["run_id"]
    _pending(api, run_id)
    events = api.events(run_id)
    deltas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event["type"] == "message.delta":
            deltas[event["data"]["message_id"]].append(event["data"])
    completed = [e["data"] for e in events if e["type"] == "message.completed"]
    assert [c["message_id"] for c in completed] == list(deltas)  # one message per call, in order
    for done in completed:
        pieces = deltas[done["message_id"]]
        assert [p["index"] for p in pieces] == list(range(len(pieces)))
        assert "".join(p["text"] for p in pieces) == done["message"]["parts"][0]["text"]


def test_research_agent_publish_edited_through_v1_with_its_arguments_validated(api: Api) -> None:
    run_id = api.create("research_agent", {"question": "What does durable execution do?"}).json()["run_id"]
    checkpoint = _pending(api, run_id)
    assert checkpoint["checkpoint_id"] == "approve_publish-1"
    assert checkpoint["payload"]["tool"] == "publish"
    assert checkpoint["payload"]["arguments_schema"]["required"] == ["title", "summary"]
    bad = api(
        "POST",
        f"/v1/runs/{run_id}/checkpoints/approve_publish-1/input",
        body={"data": {"action": "edit", "arguments": {"title": "only a title"}}},
    )
    assert bad.status == 422
    assert any(e["field"].startswith("data.arguments") for e in bad.json()["errors"])
    edit = {"action": "edit", "arguments": {"title": "Edited", "summary": "Steps run once."}}
    assert (
        api("POST", f"/v1/runs/{run_id}/checkpoints/approve_publish-1/input", body={"data": edit}).status
        == 200
    )
    run = api.wait(run_id, timeout=60)
    assert run["status"] == "succeeded", run
    assert run["output"]["published"] == {"title": "Edited", "summary": "Steps run once."}
    assert run["output"]["sources"] == ["durable-execution"]
    resolved = api("GET", f"/v1/runs/{run_id}/checkpoints/approve_publish-1").json()["resolution"]
    assert resolved["by"] == f"key:{api.tenant}" and resolved["data"]["action"] == "edit"  # the audit
    assert api("GET", f"/v1/artifacts/{run['output']['report_artifact_id']}").status == 200


@pytest.fixture
def acp(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=60) as client:
        yield client


def test_research_agent_respond_through_acp_reaches_the_model(acp: httpx.Client, http: httpx.Client) -> None:
    [agent] = acp.post("/agents/search", json={"name": "research_agent", "version": "1.0.0"}).json()
    run = acp.post("/runs", json={"agent_id": agent["agent_id"], "input": {"question": "durable?"}}).json()
    run_id = run["run_id"]
    deadline = time.monotonic() + 60
    while http.get(f"/v1/runs/{run_id}").json()["status"] != "waiting_for_input":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    answer = {"approve_publish": {"action": "respond", "message": "Do not publish yet."}}
    assert acp.post(f"/runs/{run_id}", json=answer).status_code == 200
    while (done := http.get(f"/v1/runs/{run_id}").json())["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert done["status"] == "succeeded" and done["output"]["published"] is None
    events = http.get(f"/v1/runs/{run_id}/events", params={"limit": "500"}).json()["data"]
    [last_call] = [e for e in events if e["type"] == "message.completed"][-1:]
    assert last_call["data"]["message"]["parts"][0]["text"].startswith("Durable execution")
    requests = [e for e in events if e["type"] == "step.started" and e["data"]["name"] == "model-3"]
    assert requests  # the model was called again after the response, which it got as the tool's result


def test_a_run_over_its_token_budget_pauses_until_a_person_raises_it(api: Api) -> None:
    key = uuid.uuid4().hex[:8]
    run_id = api.create("d_chat", {"key": key, "calls": 2}, budget={"max_tokens": 55}).json()["run_id"]
    checkpoint = _pending(api, run_id)
    assert checkpoint["name"] == "budget" and checkpoint["type"] == "input"
    assert checkpoint["payload"]["max_tokens"] == 55 and checkpoint["payload"]["tokens"] > 0
    assert MODEL_CALLS[key] == 1  # the second call waits for the budget
    raised = api(
        "POST",
        f"/v1/runs/{run_id}/checkpoints/{checkpoint['checkpoint_id']}/input",
        body={"data": {"max_tokens": 10_000}},
    )
    assert raised.status == 200
    _pending(api, run_id)  # now the review
    assert MODEL_CALLS[key] == 2
    run = api("GET", f"/v1/runs/{run_id}").json()
    assert run["budget"] == {"max_cost_usd": None, "max_tokens": 10_000}
    assert "run.budget_raised" in [e["type"] for e in api.events(run_id)]


def test_a_tenant_over_its_daily_budget_gets_a_429(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANT_DAILY_BUDGETS_USD", f'{{"{api.tenant}": 0}}')
    refused = api.create("echo", {"x": 1})
    assert refused.status == 429
    assert refused.json()["type"].endswith("/budget-exceeded")
    assert refused.headers["Retry-After"] == "3600"
    assert api("GET", "/v1/runs").json()["data"] == []  # nothing was written

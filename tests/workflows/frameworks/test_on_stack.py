"""The framework adapters on the local stack (moto executing the real state machine): a PydanticAI
agent's tool approval answered through v1 (approve and reject), a LangGraph interrupt answered with
input; model calls, tools and finished nodes run once across the suspension; streamed text reaches
the run's event stream."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Api
from tests.workflows.frameworks.samples import CALLS


def _pending(api: Api, run_id: str) -> dict[str, Any]:
    api.wait(run_id, {"waiting_for_input"}, timeout=60)
    [checkpoint] = [
        c for c in api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"] if c["status"] == "pending"
    ]
    return checkpoint


def test_a_pydantic_ai_tool_approval_approved_over_v1(api: Api) -> None:
    key = f"order-{uuid.uuid4().hex[:8]}"
    run_id = api.create("fw_support", {"prompt": key}).json()["run_id"]
    checkpoint = _pending(api, run_id)
    assert checkpoint["name"] == "tool_approval"
    assert checkpoint["payload"]["tool_name"] == "refund"
    assert checkpoint["payload"]["args"] == {"order": key, "amount": 30}
    assert (CALLS[("model", key)], CALLS[("lookup", key)], CALLS[("refund", key)]) == (2, 1, 0)

    cid = checkpoint["checkpoint_id"]
    assert api("POST", f"/v1/runs/{run_id}/checkpoints/{cid}/approve", body={"comment": "ok"}).status == 200
    run = api.wait(run_id, timeout=60)
    assert run["status"] == "succeeded", run.get("error")
    assert run["output"]["output"] == f"refund: refunded 30 USD on {key}"
    assert (CALLS[("model", key)], CALLS[("lookup", key)], CALLS[("refund", key)]) == (3, 1, 1)

    events = api.events(run_id)
    completed = [e["data"] for e in events if e["type"] == "message.completed"]
    assert [len(c["tool_calls"]) for c in completed] == [1, 1, 0]
    final = completed[-1]
    deltas = [e["data"] for e in events if e["type"] == "message.delta"]
    assert {d["message_id"] for d in deltas} == {final["message_id"]}
    assert "".join(d["text"] for d in deltas) == final["text"]


def test_a_pydantic_ai_tool_approval_rejected_over_v1(api: Api) -> None:
    key = f"order-{uuid.uuid4().hex[:8]}"
    run_id = api.create("fw_support", {"prompt": key}).json()["run_id"]
    cid = _pending(api, run_id)["checkpoint_id"]
    reply = api("POST", f"/v1/runs/{run_id}/checkpoints/{cid}/reject", body={"reason": "over the limit"})
    assert reply.status == 200
    run = api.wait(run_id, timeout=60)
    assert run["status"] == "succeeded", run.get("error")
    assert run["output"]["output"] == "refund: over the limit"
    assert CALLS[("refund", key)] == 0 and CALLS[("model", key)] == 3


def test_a_langgraph_interrupt_answered_with_input_over_v1(api: Api) -> None:
    topic = f"topic-{uuid.uuid4().hex[:8]}"
    run_id = api.create("fw_review", {"topic": topic}).json()["run_id"]
    checkpoint = _pending(api, run_id)
    assert checkpoint["name"] == "interrupt"
    assert checkpoint["payload"]["value"]["question"] == "Publish this draft?"
    # The answer is checked against the interrupt's response schema before anything is written.
    cid = checkpoint["checkpoint_id"]
    bad = api("POST", f"/v1/runs/{run_id}/checkpoints/{cid}/input", body={"data": {"x": 1}})
    assert bad.status == 422
    reply = api("POST", f"/v1/runs/{run_id}/checkpoints/{cid}/input", body={"data": {"value": "yes"}})
    assert reply.status == 200
    run = api.wait(run_id, timeout=60)
    assert run["status"] == "succeeded", run.get("error")
    assert run["output"]["state"]["published"] is True
    assert (CALLS[("draft", topic)], CALLS[("review", topic)], CALLS[("publish", topic)]) == (1, 2, 1)
    types = [e["type"] for e in api.events(run_id)]
    assert "message.delta" in types and "message.completed" in types

"""Claim and reassign a pending checkpoint (POST .../assign): a conditional write with its event, and
nothing written when it is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.doors.v1.test_checkpoints import start_approval

REVIEW = "/v1/runs/{}/checkpoints/review-1"


def assign(api: Api, run_id: str, body: Any, **headers: str) -> Any:
    return api("POST", REVIEW.format(run_id) + "/assign", body=body, headers=headers or None)


def assigned_events(api: Api, run_id: str) -> list[dict[str, Any]]:
    return [e["data"] for e in api.events(run_id) if e["type"] == "checkpoint.assigned"]


def test_reassign_then_claim_then_unassign_each_recorded_with_who_and_how(api: Api) -> None:
    run_id = start_approval(api)  # raised for reviewer "ana"
    reply = assign(api, run_id, {"assignee": "bob"}, **{"X-Answer-Channel": "console"})
    assert reply.status == 200
    assert reply.json()["assignee"] == "bob"
    assert api("GET", REVIEW.format(run_id)).json()["assignee"] == "bob"
    # The inbox filtered by assignee follows the change
    inbox = api("GET", "/v1/checkpoints", query={"assignee": "bob"}).json()["data"]
    assert [c["run_id"] for c in inbox] == [run_id]
    assert api("GET", "/v1/checkpoints", query={"assignee": "ana"}).json()["data"] == []
    # Claiming while bob holds it is refused, and writes nothing
    refused = assign(api, run_id, {"claim": True})
    assert refused.status == 409
    assert "bob" in refused.json()["detail"]
    assert api("GET", REVIEW.format(run_id)).json()["assignee"] == "bob"
    # Unassigned, anyone may claim it: it becomes the caller's principal
    assert assign(api, run_id, {"assignee": None}).json()["assignee"] is None
    claimed = assign(api, run_id, {"claim": True})
    assert claimed.status == 200
    assert claimed.json()["assignee"] == f"key:{api.tenant}"
    # Claiming again is a no-op, not a second event
    assert assign(api, run_id, {"claim": True}).status == 200
    events = assigned_events(api, run_id)
    assert [(e["previous"], e["assignee"], e["via"]) for e in events] == [
        ("ana", "bob", "console"),
        ("bob", None, "api"),
        (None, f"key:{api.tenant}", "api"),
    ]
    assert all(e["by"] == f"key:{api.tenant}" and e["at"] for e in events)
    assert {e["checkpoint_id"] for e in events} == {"review-1"}
    # The run still waits on the same checkpoint, which approving still resolves
    assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "waiting_for_input"
    assert api("POST", REVIEW.format(run_id) + "/approve", body={}).status == 200


def test_an_answered_checkpoint_cannot_be_reassigned_and_nothing_is_written(api: Api) -> None:
    run_id = start_approval(api)
    assert api("POST", REVIEW.format(run_id) + "/approve", body={}).status == 200
    api.wait(run_id)
    before = api.events(run_id)
    reply = assign(api, run_id, {"assignee": "bob"})
    assert reply.status == 409
    assert reply.json()["status_now"] == "resolved"
    assert api("GET", REVIEW.format(run_id)).json()["assignee"] == "ana"
    assert [e["id"] for e in api.events(run_id)] == [e["id"] for e in before]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),  # an empty body must not unassign
        ({"assignee": "bob", "claim": True}, "body"),
        ({"assignee": ""}, "assignee"),
        ({"assignee": "   "}, "assignee"),
        ({"assignee": "bob\r\nX-Evil: 1"}, "assignee"),
        ({"assignee": "x" * 201}, "assignee"),
        ({"claim": False}, "claim"),
        ({"assignee": "bob", "extra": 1}, "extra"),
    ],
)
def test_bad_bodies_are_422_naming_the_field_and_change_nothing(api: Api, body: Any, field: str) -> None:
    run_id = start_approval(api)
    reply = assign(api, run_id, body)
    assert reply.status == 422, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert any(e["field"].startswith(field) for e in reply.json()["errors"]), reply.json()
    assert api("GET", REVIEW.format(run_id)).json()["assignee"] == "ana"
    assert assigned_events(api, run_id) == []


def test_another_tenants_checkpoint_is_not_found(api: Api, other_api: Api) -> None:
    run_id = start_approval(api)
    assert assign(other_api, run_id, {"assignee": "mallory"}).status == 404
    assert api("GET", REVIEW.format(run_id)).json()["assignee"] == "ana"

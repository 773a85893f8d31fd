"""`agent-runtime checkpoints claim` and `assign` against the local stack over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.sdk.conftest import ARTICLE
from tests.sdk.test_cli import cli

pytestmark = pytest.mark.e2e


def test_claim_assign_and_unassign_from_the_terminal(base_url: str, api_key: str, http: httpx.Client) -> None:
    run_id = http.post("/v1/runs", json={"workflow": {"name": "approval"}, "input": ARTICLE}).json()["run_id"]
    # The server holds this until the run waits for a human (or ends)
    waited = http.get(f"/v1/runs/{run_id}/wait", params={"timeout": "15"}).json()
    assert waited["status"] == "waiting_for_input"
    cp = f"/v1/runs/{run_id}/checkpoints/review-1"
    held = cli("checkpoints", "claim", run_id, "review-1", url=base_url, key=api_key)
    assert held.exit_code != 0 and "assigned to ana" in held.output
    moved = cli("checkpoints", "assign", run_id, "review-1", "--anyone", url=base_url, key=api_key)
    assert moved.exit_code == 0, moved.output
    assert "now for anyone" in moved.output
    claimed = cli("checkpoints", "claim", run_id, "review-1", "--json", url=base_url, key=api_key)
    assert claimed.exit_code == 0, claimed.output
    assert http.get(cp).json()["assignee"] not in (None, "ana")
    given = cli("checkpoints", "assign", run_id, "review-1", "bob", url=base_url, key=api_key)
    assert given.exit_code == 0, given.output
    assert "now for bob" in given.output and http.get(cp).json()["assignee"] == "bob"
    both = cli("checkpoints", "assign", run_id, "review-1", "bob", "--anyone", url=base_url, key=api_key)
    assert both.exit_code == 2 and http.get(cp).json()["assignee"] == "bob"

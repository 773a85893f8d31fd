"""Claim and reassign in the approvals console (headless Chromium against the local stack): claim on
the checkpoint page, a second person's claim from the inbox refused naming the holder, reassign to
someone else and back to anyone; each change a checkpoint.assigned event with who did it."""

from __future__ import annotations

import httpx
import pytest
from selenium.webdriver.common.by import By

from agent_runtime.engine import Engine

from .conftest import Browser
from .test_console import checkpoint_path, click, create_run, element, sign_in, text_of, wait, wait_for_status

pytestmark = pytest.mark.e2e


def test_claim_on_the_page_a_second_claim_from_the_inbox_is_refused_then_reassign(
    browser: Browser, base_url: str, http: httpx.Client, tenant: str
) -> None:
    keys = {name: Engine.default().api_keys.create(tenant, name) for name in ("alice", "bob")}
    run_id = create_run(http, "approval", {"title": "Who takes it", "points": ["one"]})
    wait_for_status(http, run_id, "waiting_for_input")
    cp_api = f"/v1/runs/{run_id}/checkpoints/review-1"

    alice = browser()
    sign_in(alice, base_url, keys["alice"])
    alice.get(f"{base_url}/console/{checkpoint_path(run_id, 'review-1')}")
    text_of(alice, "#checkpoint-facts", "anyone")
    click(alice, "#claim")
    text_of(alice, "#assign-result", "Claimed: assigned to alice")
    text_of(alice, "#checkpoint-facts", "alice")
    assert http.get(cp_api).json()["assignee"] == "alice"

    # Bob's inbox shows it as alice's; his claim is refused and names her, and changes nothing
    bob = browser()
    sign_in(bob, base_url, keys["bob"])
    card = f'article[data-run-id="{run_id}"]'
    text_of(bob, card, "for alice")
    click(bob, f"{card} button.claim")
    text_of(bob, f"{card} .claim-result", "assigned to alice")
    assert http.get(cp_api).json()["assignee"] == "alice"

    # On the page, bob reassigns it to himself by name, then to anyone
    bob.get(f"{base_url}/console/{checkpoint_path(run_id, 'review-1')}")
    name = element(bob, "#assign-name")
    prefilled = lambda d: d.find_element(By.ID, "assign-name").get_attribute("value") == "alice"  # noqa: E731
    wait(bob, prefilled, what="the current assignee in the field")
    name.clear()
    name.send_keys("bob")
    click(bob, "#reassign")
    text_of(bob, "#assign-result", "Reassigned to bob")
    element(bob, "#assign-name").clear()
    click(bob, "#reassign")
    text_of(bob, "#assign-result", "Unassigned")
    text_of(bob, "#checkpoint-facts", "anyone")

    events = [e["data"] for e in http.get(f"/v1/runs/{run_id}/events").json()["data"]]
    changes = [(e["previous"], e["assignee"], e["by"], e["via"]) for e in events if "previous" in e]
    assert changes == [
        (None, "alice", "alice", "console"),
        ("alice", "bob", "bob", "console"),
        ("bob", None, "bob", "console"),
    ]
    # Still pending: the answer form is still there
    element(bob, "#answer-form")
    # Alice's page, still open, follows the change made elsewhere (its poll)
    text_of(alice, "#checkpoint-facts", "anyone")
    # The run's timeline shows each change with who made it
    bob.get(f"{base_url}/console/#/runs/{run_id}")
    text_of(bob, "#main", "alice → bob by bob via console")

"""Poison callback URLs (issue 21, item 6): a callback or push URL with NUL, ESC, DEL, CR/LF or a bidi
override used to be accepted (201), then crash every attempt in httpx.InvalidURL and stay `pending`
with 0 attempts, re-queued forever. They are refused at the door (422 naming the field, nothing
written), and one stored before is settled at its first attempt instead of looping."""

from __future__ import annotations

import pytest

from agent_runtime.clock import now_iso
from agent_runtime.engine.webhooks import sender
from agent_runtime.engine.webhooks.urls import UrlGuard
from agent_runtime.store.delivery_items import DeliveryRecord
from tests.conftest import Api

POISON = {
    "nul": "http://127.0.0.1:9/hooks\x00",
    "esc": "http://127.0.0.1:9/\x1b[2Jhooks",
    "del": "http://127.0.0.1:9/ho\x7foks",
    "crlf": "http://127.0.0.1:9/hooks\r\nX-Injected: 1",
    "rlo": "http://127.0.0.1:9/\u202ekoohs",
    "zero-width": "http://127.0.0.1:9/ho\u200boks",
}


@pytest.mark.parametrize("url", POISON.values(), ids=POISON.keys())
def test_a_callback_url_with_control_or_formatting_characters_is_a_422_naming_the_field(
    api: Api, url: str
) -> None:
    before = len(api("GET", "/v1/runs").json()["data"])
    reply = api.create("echo", {}, callback_url=url)
    assert reply.status == 422, reply.text
    problem = reply.json()
    assert [e["field"] for e in problem["errors"]] == ["callback_url"]
    assert "U+" in problem["errors"][0]["message"]
    assert len(api("GET", "/v1/runs").json()["data"]) == before  # nothing written


@pytest.mark.parametrize("url", POISON.values(), ids=POISON.keys())
def test_a_stored_poison_url_fails_its_first_attempt_for_good(url: str) -> None:
    delivery = DeliveryRecord(
        "dlv_poison_1", "run", "tenant", 1, "run.created", url, "{}", "pending", now_iso(), now_iso(), 0.0
    )
    guard = UrlGuard(allow_http_loopback=True)  # the local stack's: only the characters refuse it
    outcome = sender.post(delivery, "{}", ["whsec_" + "A" * 32], guard, sender.SenderSettings())
    assert outcome.status_code is None
    assert outcome.error is not None and outcome.error.startswith("refused:")
    assert not outcome.retryable

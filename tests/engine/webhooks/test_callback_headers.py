"""A callback's own headers (engine/webhooks/headers.py): only Authorization and X- names with plain
values, refused before anything is written and never echoed; a run's callback is set and removed by
one guarded write (runs.set_callback), never on a terminal run."""

from __future__ import annotations

import pytest

from agent_runtime.engine import Engine
from agent_runtime.engine.runs import RunSpec
from agent_runtime.engine.webhooks.headers import validate_callback_headers
from agent_runtime.errors import BadRequest, Conflict, ValidationFailed
from agent_runtime_local.cloud import Resources

HOOK = "http://127.0.0.1:9/hooks"


@pytest.mark.parametrize(
    "name",
    ["Host", "Content-Type", "webhook-signature", "webhook-id", "User-Agent", "X-Forwarded-For", "X Bad", ""],
)
def test_names_the_sender_sets_or_proxies_trust_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_callback_headers({name: "value"})
    assert refused.value.errors[0]["field"].startswith("callback_headers.")


@pytest.mark.parametrize("value", ["a\r\nHost: evil", "a\nb", "", " padded", "caf\u00e9", "x" * 4097])
def test_values_that_could_break_a_request_are_refused_without_being_echoed(value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_callback_headers({"Authorization": value})
    assert value not in str(refused.value.errors) or value == ""


def test_authorization_and_x_headers_are_taken_up_to_eight() -> None:
    headers = {"Authorization": "Bearer a b", "X-A2A-Notification-Token": "t", "x-custom": "1"}
    assert validate_callback_headers(headers) == headers
    with pytest.raises(ValidationFailed):
        validate_callback_headers({f"X-H{i}": "v" for i in range(9)})
    with pytest.raises(ValidationFailed):
        validate_callback_headers({"X-Same": "1", "x-same": "2"})


def test_refused_headers_write_nothing_and_need_a_url(cloud: Resources, tenant: str) -> None:
    engine = Engine.default()
    with pytest.raises(ValidationFailed) as refused:
        engine.runs.create(tenant, RunSpec("echo", callback_url=HOOK, callback_headers={"Host": "evil"}))
    assert refused.value.errors[0]["field"] == "callback_headers.Host"
    with pytest.raises(BadRequest):
        engine.runs.create(tenant, RunSpec("echo", callback_headers={"Authorization": "Bearer x"}))
    assert list(engine.runs.scan(tenant, 10)) == []


def test_a_callback_is_set_and_removed_by_guarded_writes(cloud: Resources, tenant: str) -> None:
    engine = Engine.default()
    run, _ = engine.runs.create(tenant, RunSpec("echo", input={"n": 1}))
    done = engine.runs.wait(tenant, run.run_id, 20, until=lambda r: r.status == "succeeded")
    with pytest.raises(Conflict) as terminal:
        engine.runs.set_callback(tenant, done, HOOK, {"Authorization": "Bearer x"})
    assert terminal.value.extra["status_now"] == "succeeded"
    assert engine.store.runs.get(run.run_id).callback_url is None

    waiting, _ = engine.runs.create(
        tenant, RunSpec("approval", input={"title": "t", "points": ["a"], "reviewer": "r"})
    )
    waiting = engine.runs.wait(tenant, waiting.run_id, 20)
    assert waiting.status == "waiting_for_input"
    options = {"door": "kept"}
    updated = engine.runs.set_callback(
        tenant, waiting, HOOK, {"Authorization": "Bearer x"}, protocol_options=options
    )
    assert (updated.callback_url, updated.protocol_options) == (HOOK, options)
    stored = engine.store.runs.get(waiting.run_id)
    assert stored.callback_headers == '{"Authorization":"Bearer x"}'
    assert "Bearer x" not in repr(stored)
    with pytest.raises(Conflict):  # it changed since `waiting` was read
        engine.runs.set_callback(tenant, waiting, None)
    cleared = engine.runs.set_callback(tenant, updated, None)
    assert cleared.callback_url is None
    assert engine.store.runs.get(waiting.run_id).callback_headers is None
    engine.runs.cancel(tenant, waiting.run_id)

"""Runs through the engine's facade (engine.runs), over moto's DynamoDB and S3 with the recording
orchestrator: idempotent creates and their replays, the conflicts a create or a cancel can meet, cancel
and delete, and listings that never show another tenant's runs. tests/doors/v1/test_runs.py drives the
same rules through the v1 door on the whole stack."""

from __future__ import annotations

from typing import Any

import pytest

from agent_runtime.config import settings
from agent_runtime.engine.runs import OnThread, RunSpec
from agent_runtime.errors import BadRequest, Conflict, NotFound, TransientAwsError
from tests.clock import ScriptedClock
from tests.engine.conftest import Tier

APPROVAL = RunSpec("approval", input={"title": "t"})


def create(tier: Tier, spec: RunSpec = APPROVAL, tenant: str | None = None, **options: Any) -> str:
    run, replayed = tier.engine.runs.create(tenant or tier.tenant, spec, **options)
    assert not replayed
    return run.run_id


def shown(run: Any) -> str:
    """A door's shape of a listed run: its id."""
    return str(run.run_id)


def listed_ids(tier: Tier) -> list[str]:
    page = tier.engine.runs.page(tier.tenant, status=None, workflow=None, limit=50, cursor=None, shape=shown)
    return list(page.data)


# -- idempotency --------------------------------------------------------------------------------------
def test_a_key_reused_with_another_body_is_a_conflict_and_writes_nothing(tier: Tier) -> None:
    create(tier, idempotency=("key-1", {"input": {"title": "t"}}))
    before = tier.items()
    with pytest.raises(Conflict) as refused:
        tier.engine.runs.create(
            tier.tenant,
            RunSpec("approval", input={"title": "u"}),
            idempotency=("key-1", {"input": {"title": "u"}}),
        )
    assert [e["field"] for e in refused.value.errors] == ["Idempotency-Key"]
    assert tier.items() == before
    assert len(tier.orchestrator.named("start")) == 1


def test_idempotency_keys_are_per_tenant(tier: Tier) -> None:
    request = ("shared-key", {"input": {"title": "t"}})
    mine = create(tier, idempotency=request)
    theirs = create(tier, tenant="t-other", idempotency=request)
    assert mine != theirs
    assert tier.engine.runs.get("t-other", theirs).run_id == theirs


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_idempotency_key_is_refused_before_anything_is_written(tier: Tier, key: str) -> None:
    with pytest.raises(BadRequest) as refused:
        tier.engine.runs.create(tier.tenant, APPROVAL, idempotency=(key, {}))
    assert [e["field"] for e in refused.value.errors] == ["Idempotency-Key"]
    assert tier.items() == []
    assert tier.orchestrator.calls == []


def test_a_run_stored_but_not_started_is_started_by_its_replay(tier: Tier) -> None:
    """Step Functions throttled the first start: the run is answered as created (queued), and the
    client's retry with the same key starts it instead of making another."""
    start = tier.orchestrator.start

    def throttled(*args: Any, **kwargs: Any) -> None:
        raise TransientAwsError("ThrottlingException")

    tier.orchestrator.start = throttled  # type: ignore[method-assign]
    request = ("key-2", {"input": {"title": "t"}})
    first, _ = tier.engine.runs.create(tier.tenant, APPROVAL, idempotency=request)
    assert first.status == "queued"
    assert tier.orchestrator.named("start") == []
    tier.orchestrator.start = start  # type: ignore[method-assign]
    again, replayed = tier.engine.runs.create(tier.tenant, APPROVAL, idempotency=request)
    assert (again.run_id, replayed) == (first.run_id, True)
    assert [call[1] for call in tier.orchestrator.named("start")] == [first.run_id]
    assert listed_ids(tier) == [first.run_id]


# -- conflicts ----------------------------------------------------------------------------------------
def test_a_stale_schema_hash_is_a_conflict_naming_the_current_one(tier: Tier) -> None:
    current = tier.engine.workflows.get("approval", None).schema_hash
    with pytest.raises(Conflict) as refused:
        tier.engine.runs.create(tier.tenant, RunSpec("approval", input={"title": "t"}, schema_hash="stale"))
    assert refused.value.extra["schema_hash"] == current
    assert tier.items() == []
    # The current hash is taken.
    create(tier, RunSpec("approval", input={"title": "t"}, schema_hash=current))


def test_a_thread_with_a_run_in_progress_refuses_a_second_and_interrupt_replaces_it(tier: Tier) -> None:
    thread = OnThread("thread-1", create_if_missing=True)
    first = create(tier, on_thread=thread)
    with pytest.raises(Conflict):
        tier.engine.runs.create(tier.tenant, APPROVAL, on_thread=OnThread("thread-1"))
    assert listed_ids(tier) == [first]  # the refused run was never written
    assert tier.engine.runs.get(tier.tenant, first).status == "queued"
    second = create(tier, on_thread=OnThread("thread-1", multitask="interrupt"))
    assert tier.engine.runs.get(tier.tenant, first).status == "cancelled"
    assert tier.engine.runs.get(tier.tenant, second).status == "queued"
    assert tier.orchestrator.named("stop") == [("stop", first, "cancelled")]


def test_a_run_on_a_missing_thread_is_not_found_unless_asked_to_create_it(tier: Tier) -> None:
    with pytest.raises(NotFound):
        tier.engine.runs.create(tier.tenant, APPROVAL, on_thread=OnThread("nowhere"))
    assert tier.items() == []


# -- cancel and delete --------------------------------------------------------------------------------
def test_another_tenants_run_cannot_be_cancelled_and_is_left_as_it_was(tier: Tier) -> None:
    run_id = create(tier)
    with pytest.raises(NotFound):
        tier.engine.runs.cancel("t-other", run_id)
    assert tier.engine.runs.get(tier.tenant, run_id).status == "queued"
    assert tier.orchestrator.named("stop") == []


def test_a_cancel_ends_the_run_with_one_event_and_stops_its_execution(tier: Tier) -> None:
    run_id = create(tier)
    cancelled = tier.engine.runs.cancel(tier.tenant, run_id)
    assert cancelled.status == "cancelled"
    assert tier.orchestrator.named("stop") == [("stop", run_id, "cancelled")]
    types = [event.type for event in tier.engine.store.events.after(run_id, 0, 100)]
    assert types.count("run.cancelled") == 1
    with pytest.raises(Conflict) as again:
        tier.engine.runs.cancel(tier.tenant, run_id)
    assert again.value.extra["status_now"] == "cancelled"


def test_delete_cancels_an_active_run_and_removes_it(tier: Tier) -> None:
    run_id = create(tier)
    tier.engine.runs.delete(tier.tenant, run_id)
    assert tier.orchestrator.named("stop") == [("stop", run_id, "cancelled")]
    with pytest.raises(NotFound):
        tier.engine.runs.get(tier.tenant, run_id)
    assert not [item for item in tier.items() if run_id in str(item)]


def test_another_tenant_cannot_delete_a_run(tier: Tier) -> None:
    run_id = create(tier)
    with pytest.raises(NotFound):
        tier.engine.runs.delete("t-other", run_id)
    assert tier.engine.runs.get(tier.tenant, run_id).status == "queued"


# -- reads and listings -------------------------------------------------------------------------------
def test_another_tenants_run_reads_as_a_missing_one(tier: Tier) -> None:
    run_id = create(tier)
    with pytest.raises(NotFound) as theirs:
        tier.engine.runs.get("t-other", run_id)
    with pytest.raises(NotFound) as missing:
        tier.engine.runs.get(tier.tenant, "no-such-run")
    assert theirs.value.detail.replace(run_id, "ID") == missing.value.detail.replace("no-such-run", "ID")


def test_a_listing_pages_newest_first_with_no_gap_or_repeat(tier: Tier) -> None:
    made = [create(tier, RunSpec("approval", input={"title": f"t{n}"})) for n in range(5)]
    create(tier, tenant="t-other")
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = tier.engine.runs.page(
            tier.tenant, status=None, workflow=None, limit=2, cursor=cursor, shape=shown
        )
        seen += page.data
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(made))
    assert [run.run_id for run in tier.engine.runs.scan(tier.tenant, max_runs=3)] == seen[:3]


def test_a_listing_filters_by_status_workflow_and_metadata(tier: Tier) -> None:
    echo = create(tier, RunSpec("echo", input={"a": 1}, metadata={"team": "red"}))
    approval = create(tier, RunSpec("approval", input={"title": "t"}, metadata={"team": "blue"}))
    tier.engine.runs.cancel(tier.tenant, approval)

    def listed(**filters: Any) -> list[str]:
        query: dict[str, Any] = {"status": None, "workflow": None, **filters}
        page = tier.engine.runs.page(tier.tenant, limit=10, cursor=None, shape=shown, **query)
        return list(page.data)

    assert listed(status="cancelled") == [approval]
    assert listed(status="queued") == [echo]
    assert listed(workflow="echo") == [echo]
    assert listed(status="cancelled", workflow="echo") == []
    assert listed(metadata={"team": "blue"}) == [approval]
    assert listed(metadata={"team": "green"}) == []


def test_a_cursor_that_is_not_one_is_a_bad_request_naming_it(tier: Tier) -> None:
    with pytest.raises(BadRequest) as refused:
        tier.engine.runs.page(
            tier.tenant, status=None, workflow=None, limit=10, cursor="not-a-cursor", shape=shown
        )
    assert [e["field"] for e in refused.value.errors] == ["cursor"]


def test_wait_answers_as_the_run_is_once_its_time_is_up(tier: Tier) -> None:
    run_id = create(tier)
    clock = ScriptedClock()
    run = tier.engine.clocked(clock).runs.wait(tier.tenant, run_id, 1.0)
    assert run.status == "queued"
    assert clock.sleeps and clock.waited >= 1.0


def test_wait_answers_at_once_for_a_run_that_ended(tier: Tier) -> None:
    run_id = create(tier)
    tier.engine.runs.cancel(tier.tenant, run_id)

    clock = ScriptedClock()
    assert tier.engine.clocked(clock).runs.wait(tier.tenant, run_id, 30.0).status == "cancelled"
    assert clock.sleeps == []  # a settled run is answered without polling


# -- callback -----------------------------------------------------------------------------------------
HOOK = "http://127.0.0.1:9/hooks"  # never called here: setting a callback sends nothing


@pytest.fixture
def loopback(tier: Tier, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain-HTTP loopback callbacks allowed, as the local stack allows them (local/agent_runtime_local/
    cloud.py): an IP literal, so nothing is resolved."""
    monkeypatch.setenv("WEBHOOK_ALLOW_HTTP_LOOPBACK", "true")
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    settings.cache_clear()


def test_a_callback_set_on_a_stale_read_is_a_conflict_and_changes_nothing(tier: Tier, loopback: None) -> None:
    run_id = create(tier)
    seen = tier.engine.runs.get(tier.tenant, run_id)
    updated = tier.engine.runs.set_callback(tier.tenant, seen, HOOK, {"Authorization": "Bearer x"})
    assert updated.callback_url == HOOK
    with pytest.raises(Conflict):  # `seen` had no callback: another writer set one since
        tier.engine.runs.set_callback(tier.tenant, seen, "http://127.0.0.1:9/other")
    assert tier.engine.store.runs.get(run_id).callback_url == HOOK


def test_an_ended_run_can_lose_its_callback_but_gets_none(tier: Tier, loopback: None) -> None:
    run_id = create(tier, RunSpec("approval", input={"title": "t"}, callback_url=HOOK))
    ended = tier.engine.runs.cancel(tier.tenant, run_id)
    with pytest.raises(Conflict) as refused:
        tier.engine.runs.set_callback(tier.tenant, ended, "http://127.0.0.1:9/other")
    assert refused.value.extra["status_now"] == "cancelled"
    assert tier.engine.runs.set_callback(tier.tenant, ended, None).callback_url is None
    assert tier.engine.store.runs.get(run_id).callback_url is None


def test_another_tenant_cannot_set_a_runs_callback(tier: Tier, loopback: None) -> None:
    run_id = create(tier)
    seen = tier.engine.runs.get(tier.tenant, run_id)
    with pytest.raises(NotFound):
        tier.engine.runs.set_callback("t-other", seen, HOOK)
    assert tier.engine.store.runs.get(run_id).callback_url is None

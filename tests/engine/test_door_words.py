"""The engine speaks its own words (issue 22 item 3): its errors name a RunSpec's fields and its own
thread policy, and each door says them in its protocol's words (errors.renamed, ThreadBusy)."""

from __future__ import annotations

import pytest

from agent_runtime.engine.runs import OnThread, RunSpec
from agent_runtime.engine.threads import ThreadBusy
from agent_runtime.errors import ValidationFailed, renamed
from tests.engine.conftest import Tier


def test_a_callback_url_that_may_not_be_called_is_refused_naming_the_spec_field(tier: Tier) -> None:
    spec = RunSpec("echo", input={"a": 1}, callback_url="http://169.254.169.254/latest")
    with pytest.raises(ValidationFailed) as refused:
        tier.engine.runs.create(tier.tenant, spec)
    assert [e["field"] for e in refused.value.errors] == ["callback_url"]
    assert refused.value.detail.startswith("callback_url is not allowed")
    assert tier.items() == []  # refused before anything is written


def test_a_door_renames_the_field_in_the_detail_and_the_field_errors() -> None:
    error = ValidationFailed(
        "callback_url is not allowed: private", errors=[{"field": "callback_url", "message": "private"}]
    )
    door = renamed(error, {"callback_url": "webhook"})
    assert isinstance(door, ValidationFailed)
    assert (door.detail, door.errors) == (
        "webhook is not allowed: private",
        [{"field": "webhook", "message": "private"}],
    )


def test_a_second_run_on_a_busy_thread_is_thread_busy_in_engine_words(tier: Tier) -> None:
    tier.engine.threads.create(tier.tenant, "th-1", {}, "raise")
    tier.engine.runs.create(
        tier.tenant, RunSpec("approval", input={"title": "t"}), on_thread=OnThread("th-1")
    )
    with pytest.raises(ThreadBusy) as busy:
        tier.engine.runs.create(
            tier.tenant, RunSpec("approval", input={"title": "t"}), on_thread=OnThread("th-1")
        )
    assert "multitask_strategy" not in busy.value.detail
    with pytest.raises(ValidationFailed) as unsupported:
        tier.engine.runs.create(
            tier.tenant, RunSpec("approval", input={"title": "t"}), on_thread=OnThread("th-1", "enqueue")
        )
    assert [e["field"] for e in unsupported.value.errors] == ["multitask"]

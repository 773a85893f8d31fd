"""The webhook dispatcher's stream filter: only event pages of runs with a callback URL invoke it (in
the cloud the event source mapping applies the pattern; locally the poller applies the same one)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent_runtime.store.dynamo import Table
from agent_runtime.store.event_items import EventItems, NewEvent
from agent_runtime.store.payloads import Payloads
from agent_runtime_local.pollers import matches
from functions import manifest


def stream_record(hook: bool, event_name: str = "INSERT") -> dict[str, Any]:
    events = EventItems(Table(None, "t"), Payloads(None, "b", 64 * 1024))  # type: ignore[arg-type]
    (entry,) = events.page_entries("t", "r", 1, [NewEvent("run.created")], "now", hook=hook)
    return {"eventName": event_name, "dynamodb": {"NewImage": entry["Put"]["Item"]}}


def test_the_dispatcher_sees_only_new_pages_of_runs_with_a_callback() -> None:
    pattern = json.loads(manifest.by_name("webhook_dispatcher").trigger_filter or "null")
    assert matches(pattern, stream_record(hook=True))
    assert not matches(pattern, stream_record(hook=False))
    assert not matches(pattern, stream_record(hook=True, event_name="MODIFY"))


def test_patterns_match_nested_keys_and_listed_values() -> None:
    assert matches({"a": {"b": [1, 2]}}, {"a": {"b": 2, "c": 3}})
    assert not matches({"a": {"b": [1, 2]}}, {"a": {"c": 1}})
    with pytest.raises(ValueError):
        matches({"a": "not a list"}, {"a": "x"})

"""Pure helpers: canonical JSON, cursors, SSE framing, the manifest."""

from __future__ import annotations

import pytest

from agent_runtime.canonical import canonical_json, sha256_of
from agent_runtime.engine.model import Event
from agent_runtime.store.dynamo import decode_cursor, encode_cursor
from agent_runtime.store.errors import InvalidCursor
from agent_runtime.v1.streams import sse_event
from functions import manifest


def test_canonical_json_ignores_key_order_and_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == b'{"a":[1,{"c":3,"d":2}],"b":1}'
    assert sha256_of({"a": 1, "b": 2}) == sha256_of({"b": 2, "a": 1})


def test_cursors_round_trip_and_garbage_is_a_400() -> None:
    key = {"PK": "RUN#1", "SK": "META", "gsi1pk": "TENANT#t"}
    assert decode_cursor(encode_cursor(key)) == key
    for garbage in ["%%%", "bm90IGpzb24", encode_cursor({"PK": 1})]:
        with pytest.raises(InvalidCursor):
            decode_cursor(garbage)


def test_sse_frames_are_one_line_json_with_id_and_type() -> None:
    frame = sse_event(
        Event(seq=7, run_id="r", type="step.completed", data={"text": "a\nb"}, created_at="now")
    )
    lines = frame.split("\n")
    assert lines[0] == "id: 7"
    assert lines[1] == "event: step.completed"
    assert lines[2].startswith("data: {") and "\\n" in lines[2]
    assert frame.endswith("\n\n") and len(lines) == 5


def test_every_manifest_handler_imports_and_routes_are_unique() -> None:
    import importlib

    seen = set()
    for spec in manifest.FUNCTIONS:
        module = importlib.import_module(spec.module)
        assert callable(getattr(module, spec.attribute)), spec.name
        for route in spec.routes:
            assert (route.method, route.path) not in seen
            seen.add((route.method, route.path))
    assert set(manifest.STATE_MACHINE_FUNCTIONS.values()) <= {s.name for s in manifest.FUNCTIONS}

"""One `Last-Event-ID` parser for every door (agent_runtime/http/sse.py)."""

from __future__ import annotations

import pytest

from agent_runtime.errors import BadRequest
from agent_runtime.http.adapter import Request
from agent_runtime.http.sse import last_event_id


def request(headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> Request:
    return Request("GET", "/x", {}, query or {}, headers or {}, b"", "t", None, "r")


def test_the_header_is_the_cursor_and_none_means_from_the_start() -> None:
    assert last_event_id(request({"last-event-id": "42"})) == 42
    assert last_event_id(request({"last-event-id": "0"})) == 0
    assert last_event_id(request()) is None
    assert last_event_id(request({"last-event-id": ""})) is None


def test_a_query_parameter_stands_in_only_where_a_door_names_one() -> None:
    assert last_event_id(request(query={"after": "7"}), query="after") == 7
    assert last_event_id(request(query={"after": "7"})) is None
    assert last_event_id(request({"last-event-id": "3"}, {"after": "7"}), query="after") == 3


@pytest.mark.parametrize("raw", ["-1", "abc", "²", "1.5", " 1", "1234567890123"])
def test_anything_but_an_event_id_is_a_400_naming_where_it_came_from(raw: str) -> None:
    with pytest.raises(BadRequest) as header:
        last_event_id(request({"last-event-id": raw}))
    assert header.value.errors == [{"field": "Last-Event-ID", "message": raw[:40]}]
    with pytest.raises(BadRequest) as query:
        last_event_id(request(query={"after": raw}), query="after")
    assert query.value.errors == [{"field": "after", "message": raw[:40]}]

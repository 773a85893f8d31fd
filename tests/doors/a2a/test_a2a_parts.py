"""A2A message parts as the JSON a workflow or checkpoint takes (a2a/parts.py), without a stack."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from agent_runtime.a2a.errors import A2AError, ContentTypeNotSupported, InvalidParams
from agent_runtime.a2a.models import Part
from agent_runtime.a2a.parts import approval, object_from_parts
from agent_runtime.engine.checkpoints import Approve, Reject


class Titled(BaseModel):
    title: str
    points: list[str] = []


class Chat(BaseModel):
    messages: list[dict[str, Any]]


def parts(*raw: dict[str, Any]) -> list[Part]:
    return [Part.model_validate(p) for p in raw]


def test_a_data_part_is_the_object_and_names_where_it_came_from() -> None:
    assert object_from_parts(Titled, parts({"text": "hi"}, {"data": {"title": "t"}}), "message.parts") == (
        {"title": "t"},
        "message.parts[1].data",
    )


def test_text_fills_the_only_string_field_or_becomes_a_human_message() -> None:
    assert object_from_parts(Titled, parts({"text": "Q4"}), "m")[0] == {"title": "Q4"}
    assert object_from_parts(Chat, parts({"text": "hello"}), "m")[0] == {
        "messages": [{"type": "human", "content": "hello"}]
    }
    assert object_from_parts(None, parts({"text": '{"a": 1}'}), "m")[0] == {"a": 1}


@pytest.mark.parametrize(
    ("raw", "error", "field"),
    [
        ([{"url": "https://x/y"}], ContentTypeNotSupported, "m[0]"),
        ([{"raw": "aGk="}], ContentTypeNotSupported, "m[0]"),
        ([{"text": "a", "data": {}}], InvalidParams, "m[0]"),
        ([{"data": {}}, {"data": {}}], InvalidParams, "m"),
        ([{"data": [1]}], InvalidParams, "m[0].data"),
        ([{"text": "not json"}], InvalidParams, "m"),
    ],
)
def test_parts_that_dont_fit_name_the_field(
    raw: list[dict[str, Any]], error: type[A2AError], field: str
) -> None:
    with pytest.raises(error) as raised:
        object_from_parts(None, parts(*raw), "m")
    assert raised.value.errors[0]["field"] == field


def test_an_approval_is_a_decision_in_data_or_words() -> None:
    assert approval(parts({"data": {"approved": True, "comment": "ok"}})) == Approve("ok")
    assert approval(parts({"data": {"decision": "reject", "reason": "no"}})) == Reject("no")
    assert approval(parts({"text": "reject: too long"})) == Reject("too long")
    assert approval(parts({"text": "yes"})) == Approve(None)
    with pytest.raises(InvalidParams):
        approval(parts({"text": "maybe"}))
    with pytest.raises(ContentTypeNotSupported):
        approval(parts({"url": "https://x/approve.txt"}))

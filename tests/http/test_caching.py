"""Conditional GETs (http/caching.py), as the public agent cards use them."""

from __future__ import annotations

import pytest

from agent_runtime.http.adapter import Request, Response
from agent_runtime.http.caching import conditional, etag_of

CACHE = {"Cache-Control": "public, max-age=300"}


def request(if_none_match: str | None = None) -> Request:
    headers = {"if-none-match": if_none_match} if if_none_match is not None else {}
    return Request("GET", "/.well-known/agent-card.json", {}, {}, headers, b"", "", None, "r")


def test_a_response_gets_a_strong_tag_of_its_body() -> None:
    sent = conditional(request(), Response.json(200, {"name": "a"}, CACHE))
    assert sent.status == 200 and sent.body == '{"name":"a"}'
    assert (
        sent.headers["ETag"] == etag_of(sent.body) and sent.headers["Cache-Control"] == CACHE["Cache-Control"]
    )
    assert etag_of('{"name":"b"}') != sent.headers["ETag"]


@pytest.mark.parametrize("header", ["{tag}", "W/{tag}", '"x", {tag}', "*"])
def test_if_none_match_naming_it_is_a_bodiless_304_keeping_its_caching(header: str) -> None:
    tag = etag_of('{"name":"a"}')
    sent = conditional(request(header.format(tag=tag)), Response.json(200, {"name": "a"}, CACHE))
    assert (sent.status, sent.body) == (304, "")
    assert sent.headers == {"Cache-Control": CACHE["Cache-Control"], "ETag": tag}


def test_another_tag_gets_the_body() -> None:
    sent = conditional(request('"stale"'), Response.json(200, {"name": "a"}, CACHE))
    assert sent.status == 200 and sent.body == '{"name":"a"}'

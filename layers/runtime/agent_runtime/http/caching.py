"""Conditional GETs (RFC 9110 section 13): a strong ETag on a cacheable response, and 304 Not
Modified when the client's If-None-Match already names it."""

from __future__ import annotations

import hashlib

from agent_runtime.http.adapter import Request, Response


def etag_of(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def _names(header: str, tag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x"; `*` matches any current tag."""
    candidates = [c.strip() for c in header.split(",")]
    return "*" in candidates or tag in (c.removeprefix("W/") for c in candidates)


def conditional(request: Request, response: Response) -> Response:
    """The response with its ETag, or a bodiless 304 (same ETag and caching headers) when the client
    already has it."""
    tag = etag_of(response.body)
    header = request.header("If-None-Match")
    if header and _names(header, tag):
        kept = {k: v for k, v in response.headers.items() if k.lower() in {"cache-control", "vary"}}
        return Response(304, "", {**kept, "ETag": tag})
    return Response(response.status, response.body, {**response.headers, "ETag": tag})

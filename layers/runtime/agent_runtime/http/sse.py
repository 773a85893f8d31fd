"""What every door's event streams share: the SSE response, and the `Last-Event-ID` cursor a client
reconnects with (the id of the last event it read; the stream resumes after it)."""

from __future__ import annotations

import re

from agent_runtime.errors import BadRequest
from agent_runtime.http.adapter import Request, Response

HEADER = "Last-Event-ID"
# ASCII digits only (str.isdigit() also accepts "²"), at most 12: an event's sequence number.
EVENT_ID = re.compile(r"^[0-9]{1,12}$")


def sse(body: str) -> Response:
    return Response(200, body, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})


def last_event_id(request: Request, *, query: str | None = None) -> int | None:
    """The event id to resume after: the `Last-Event-ID` header, else the query parameter `query`
    names (v1's `?after=`), else None (from the start). 400 naming where a bad one came from."""
    raw = request.header(HEADER)
    field = HEADER
    if not raw and query is not None:
        raw, field = request.query.get(query), query
    if raw is None or raw == "":
        return None
    if not EVENT_ID.match(raw):
        raise BadRequest(
            f"{field} must be an event id (the id of the last event read)",
            errors=[{"field": field, "message": raw[:40]}],
        )
    return int(raw)

"""GET /v1/runs/{run_id}/events: windowed SSE (Accept: text/event-stream) or JSON pages."""

import re

from agent_runtime.engine import Engine
from agent_runtime.errors import BadRequest
from agent_runtime.http.adapter import Request, Response, negotiate
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.streams import sse_window
from agent_runtime.v1.views import event_json

SSE = "text/event-stream"
EVENT_ID = re.compile(r"^[0-9]{1,12}$")  # ASCII digits only: str.isdigit() also accepts "²"


def _cursor(request: Request) -> int:
    raw = request.header("Last-Event-ID") or request.query.get("after") or "0"
    if not EVENT_ID.match(raw):
        field = "Last-Event-ID" if request.header("Last-Event-ID") else "after"
        raise BadRequest(
            "the cursor must be a non-negative event id", errors=[{"field": field, "message": raw[:40]}]
        )
    return int(raw)


@v1_endpoint
def handler(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    after = _cursor(request)
    engine = Engine.default()
    if negotiate(request, "application/json", SSE) == SSE:
        body = sse_window(engine, request.tenant_id, run_id, after)
        return Response(200, body, {"Content-Type": SSE, "Cache-Control": "no-cache"})
    limit = request.int_query("limit", 100, minimum=1, maximum=500)
    page = engine.streams.page(request.tenant_id, run_id, after, limit, event_json)
    return Response.json(200, {"data": page.data, "next_cursor": page.next_cursor})

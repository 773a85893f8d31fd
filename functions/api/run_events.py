"""GET /v1/runs/{run_id}/events: windowed SSE (Accept: text/event-stream) or JSON pages."""

import re

from agent_runtime.errors import BadRequest
from agent_runtime.http import Request, Response, api_handler
from agent_runtime.http.adapter import negotiate
from agent_runtime.runtime import streams

SSE = "text/event-stream"
EVENT_ID = re.compile(r"^[0-9]{1,12}$")  # ASCII digits only: str.isdigit() also accepts "²"


def _cursor(request: Request) -> int:
    raw = request.header("Last-Event-ID") or request.query.get("after") or "0"
    if not EVENT_ID.match(raw):
        raise BadRequest(
            "the cursor must be a non-negative event id",
            errors=[
                {
                    "field": "Last-Event-ID" if request.header("Last-Event-ID") else "after",
                    "message": raw[:40],
                }
            ],
        )
    return int(raw)


@api_handler
def handler(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    after = _cursor(request)
    if negotiate(request, "application/json", SSE) == SSE:
        window = streams.sse_window(request.tenant_id, run_id, after)
        return Response(200, window.body, {"Content-Type": SSE, "Cache-Control": "no-cache"})
    limit = request.int_query("limit", 100, minimum=1, maximum=500)
    return Response.json(200, streams.page(request.tenant_id, run_id, after, limit))

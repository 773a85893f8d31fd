"""GET /v1/runs/{run_id}/events: windowed SSE (Accept: text/event-stream) or JSON pages."""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response, negotiate
from agent_runtime.http.sse import last_event_id, sse
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.streams import sse_window
from agent_runtime.v1.views import event_json

SSE = "text/event-stream"


@v1_endpoint
def handler(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    after = last_event_id(request, query="after") or 0
    engine = Engine.default()
    if negotiate(request, "application/json", SSE) == SSE:
        body = sse_window(engine, request.tenant_id, run_id, after)
        return sse(body)
    limit = request.int_query("limit", 100, minimum=1, maximum=500)
    page = engine.streams.page(request.tenant_id, run_id, after, limit, event_json)
    return Response.json(200, {"data": page.data, "next_cursor": page.next_cursor})

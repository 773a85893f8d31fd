"""GET /v1/runs"""

from agent_runtime.engine import Engine
from agent_runtime.engine.model import RUN_STATUSES
from agent_runtime.errors import BadRequest
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import run_json


@v1_endpoint
def handler(request: Request) -> Response:
    status = request.query.get("status") or None
    if status is not None and status not in RUN_STATUSES:
        raise BadRequest(
            f"unknown status {status!r}",
            errors=[{"field": "status", "message": f"one of {', '.join(RUN_STATUSES)}"}],
        )
    page = Engine.default().runs.page(
        request.tenant_id,
        status=status,
        workflow=request.query.get("workflow") or None,
        limit=request.int_query("limit", 20, minimum=1, maximum=100),
        cursor=request.query.get("cursor") or None,
        shape=run_json,
    )
    return Response.json(200, {"data": page.data, "next_cursor": page.next_cursor})

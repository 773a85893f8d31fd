"""GET /v1/runs/{run_id}/checkpoints"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import checkpoint_json


@v1_endpoint
def handler(request: Request) -> Response:
    page = Engine.default().checkpoints.list_for_run(
        request.tenant_id, request.path_params["run_id"], request.query.get("cursor") or None, checkpoint_json
    )
    return Response.json(200, {"data": page.data, "next_cursor": page.next_cursor})

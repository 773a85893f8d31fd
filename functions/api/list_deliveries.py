"""GET /v1/runs/{run_id}/deliveries"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import delivery_json


@v1_endpoint
def handler(request: Request) -> Response:
    after = request.int_query("after", 0, minimum=0, maximum=10**12 - 1)
    limit = request.int_query("limit", 100, minimum=1, maximum=100)
    page = Engine.default().deliveries.list_for_run(
        request.tenant_id, request.path_params["run_id"], after, limit
    )
    return Response.json(
        200, {"data": [delivery_json(d) for d in page.data], "next_cursor": page.next_cursor}
    )

"""GET /v1/runs/{run_id}/deliveries"""

from agent_runtime import webhooks
from agent_runtime.http import Request, Response, api_handler


@api_handler
def handler(request: Request) -> Response:
    after = request.int_query("after", 0, minimum=0, maximum=10**12 - 1)
    limit = request.int_query("limit", 100, minimum=1, maximum=100)
    return Response.json(
        200, webhooks.list_for_run(request.tenant_id, request.path_params["run_id"], after, limit)
    )

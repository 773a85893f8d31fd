"""GET /v1/runs/{run_id}/checkpoints?cursor="""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import checkpoints


@api_handler
def handler(request: Request) -> Response:
    page = checkpoints.list_for_run(
        request.tenant_id, request.path_params["run_id"], request.query.get("cursor") or None
    )
    return Response.json(200, page)

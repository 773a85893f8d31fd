"""GET /v1/runs/{run_id}/artifacts"""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import artifacts


@api_handler
def handler(request: Request) -> Response:
    return Response.json(200, artifacts.list_for_run(request.tenant_id, request.path_params["run_id"]))

"""GET /v1/runs/{run_id}"""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import runs


@api_handler
def handler(request: Request) -> Response:
    return Response.json(200, runs.get_run(request.tenant_id, request.path_params["run_id"]))

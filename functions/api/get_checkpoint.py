"""GET /v1/runs/{run_id}/checkpoints/{checkpoint_id}"""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import checkpoints


@api_handler
def handler(request: Request) -> Response:
    params = request.path_params
    return Response.json(200, checkpoints.get(request.tenant_id, params["run_id"], params["checkpoint_id"]))

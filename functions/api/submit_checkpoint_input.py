"""POST /v1/runs/{run_id}/checkpoints/{checkpoint_id}/input"""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import checkpoints


@api_handler
def handler(request: Request) -> Response:
    body = request.json(checkpoints.InputRequest)
    params = request.path_params
    resolved = checkpoints.resolve(
        request.tenant_id, params["run_id"], params["checkpoint_id"], "input", body, request.principal
    )
    return Response.json(200, resolved)

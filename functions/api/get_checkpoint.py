"""GET /v1/runs/{run_id}/checkpoints/{checkpoint_id}"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import checkpoint_json


@v1_endpoint
def handler(request: Request) -> Response:
    params = request.path_params
    checkpoint = Engine.default().checkpoints.get(
        request.tenant_id, params["run_id"], params["checkpoint_id"]
    )
    return Response.json(200, checkpoint_json(checkpoint))

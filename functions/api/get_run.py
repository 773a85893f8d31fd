"""GET /v1/runs/{run_id}"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import run_json


@v1_endpoint
def handler(request: Request) -> Response:
    return Response.json(
        200, run_json(Engine.default().runs.get(request.tenant_id, request.path_params["run_id"]))
    )

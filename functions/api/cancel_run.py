"""POST /v1/runs/{run_id}/cancel"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import run_json


@v1_endpoint
def handler(request: Request) -> Response:
    run = Engine.default().runs.cancel(request.tenant_id, request.path_params["run_id"])
    return Response.json(200, run_json(run))

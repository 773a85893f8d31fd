"""GET /v1/runs/{run_id}/artifacts"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import artifact_json


@v1_endpoint
def handler(request: Request) -> Response:
    artifacts = Engine.default().artifacts.list_for_run(request.tenant_id, request.path_params["run_id"])
    return Response.json(200, {"data": [artifact_json(a) for a in artifacts]})

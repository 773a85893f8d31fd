"""GET /v1/artifacts/{artifact_id}: metadata and a short-lived download URL."""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import download_json


@v1_endpoint
def handler(request: Request) -> Response:
    download = Engine.default().artifacts.get(request.tenant_id, request.path_params["artifact_id"])
    return Response.json(200, download_json(download))

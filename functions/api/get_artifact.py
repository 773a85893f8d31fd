"""GET /v1/artifacts/{artifact_id}: metadata plus a pre-signed download_url and its expires_at."""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import artifacts


@api_handler
def handler(request: Request) -> Response:
    return Response.json(200, artifacts.get(request.tenant_id, request.path_params["artifact_id"]))

"""GET /v1/workflows/{name}/schemas"""

from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import workflow_schemas
from agent_runtime.workflows.registry import registry


@v1_endpoint
def handler(request: Request) -> Response:
    schemas = workflow_schemas(registry(), request.path_params["name"], request.query.get("version") or None)
    return Response.json(200, schemas)

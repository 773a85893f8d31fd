"""GET /v1/workflows/{name}/schemas?version="""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import catalog


@api_handler
def handler(request: Request) -> Response:
    schemas = catalog.get_schemas(request.path_params["name"], request.query.get("version") or None)
    return Response.json(200, schemas)

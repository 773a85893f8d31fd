"""GET /v1/workflows"""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import catalog


@api_handler
def handler(request: Request) -> Response:
    return Response.json(200, catalog.list_workflows())

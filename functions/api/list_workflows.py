"""GET /v1/workflows"""

from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import workflow_list
from agent_runtime.workflows.registry import registry


@v1_endpoint
def handler(request: Request) -> Response:
    return Response.json(200, workflow_list(registry()))

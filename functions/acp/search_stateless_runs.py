"""POST /runs/search (search_stateless_runs)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import RunSearchRequest
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    return Response.json(200, runs.search(request.tenant_id, request.json(RunSearchRequest)))

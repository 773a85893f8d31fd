"""POST /threads/search (search_threads)"""

from agent_runtime.acp import threads
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import ThreadSearchRequest
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    return Response.json(200, threads.search(request.tenant_id, request.json(ThreadSearchRequest)))

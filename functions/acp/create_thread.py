"""POST /threads (create_thread)"""

from agent_runtime.acp import threads
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import ThreadCreate
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    return Response.json(200, threads.create(request.tenant_id, request.json(ThreadCreate)))

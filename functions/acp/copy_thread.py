"""POST /threads/{thread_id}/copy (copy_thread)"""

from agent_runtime.acp import threads
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    return Response.json(200, threads.copy(request.tenant_id, request.path_params["thread_id"]))

"""GET /threads/{thread_id} (get_thread)"""

from agent_runtime.acp import threads
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    return Response.json(200, threads.get(request.tenant_id, request.path_params["thread_id"]))

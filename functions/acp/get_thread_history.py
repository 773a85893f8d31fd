"""GET /threads/{thread_id}/history (get_thread_history)"""

from agent_runtime.acp import threads
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    limit = request.int_query("limit", 10, minimum=1, maximum=1000)
    return Response.json(200, threads.history(request.tenant_id, request.path_params["thread_id"], limit))

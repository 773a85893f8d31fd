"""DELETE /threads/{thread_id} (delete_thread)"""

from agent_runtime.acp import threads
from agent_runtime.acp.http import acp_endpoint, no_content
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    threads.delete(request.tenant_id, request.path_params["thread_id"])
    return no_content()

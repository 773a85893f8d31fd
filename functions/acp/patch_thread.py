"""PATCH /threads/{thread_id} (patch_thread)"""

from agent_runtime.acp import threads
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import ThreadPatch
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    return Response.json(
        200, threads.patch(request.tenant_id, request.path_params["thread_id"], request.json(ThreadPatch))
    )

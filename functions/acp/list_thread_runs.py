"""GET /threads/{thread_id}/runs (list_thread_runs)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    limit = request.int_query("limit", 10, minimum=1, maximum=1000)
    offset = request.int_query("offset", 0, minimum=0)
    return Response.json(
        200, runs.for_thread(request.tenant_id, request.path_params["thread_id"], limit, offset)
    )

"""DELETE /threads/{thread_id}/runs/{run_id} (delete_thread_run)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint, no_content
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    runs.delete(request.tenant_id, request.path_params["run_id"], request.path_params["thread_id"])
    return no_content()

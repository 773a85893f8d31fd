"""POST /threads/{thread_id}/runs/{run_id}/cancel (cancel_thread_run)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint, cancel_action, no_content
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    run_id, thread_id = request.path_params["run_id"], request.path_params["thread_id"]
    if cancel_action(request) == "rollback":
        runs.delete(request.tenant_id, run_id, thread_id)
    else:
        runs.cancel(request.tenant_id, run_id, thread_id)
    return no_content()

"""POST /threads/{thread_id}/runs/{run_id} (resume_thread_run)"""

from agent_runtime.acp import mapping, runs
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    payload = request.json_value()
    record = runs.resume(
        request.tenant_id,
        request.path_params["run_id"],
        payload,
        request.principal,
        request.path_params["thread_id"],
    )
    return Response.json(200, mapping.acp_run(record))

"""GET /threads/{thread_id}/runs/{run_id}/stream (stream_thread_run_output)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint, after, sse
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    record = runs.get(request.tenant_id, request.path_params["run_id"], request.path_params["thread_id"])
    return sse(
        runs.stream_window(
            request.tenant_id,
            record.run_id,
            after(request),
            runs.stream_modes(record),
            request.path_params["thread_id"],
        )
    )

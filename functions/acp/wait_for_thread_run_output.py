"""GET /threads/{thread_id}/runs/{run_id}/wait (wait_for_thread_run_output)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint, block_timeout, no_content
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    record, output = runs.wait(
        request.tenant_id,
        request.path_params["run_id"],
        block_timeout(request),
        request.path_params["thread_id"],
    )
    if output is None:
        return no_content()  # the wait expired before the run had an output
    return Response.json(200, runs.wait_response(record, output))

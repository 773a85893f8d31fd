"""POST /threads/{thread_id}/runs/wait (create_and_wait_for_thread_run_output)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import RunCreateStateful
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    record = runs.create(request.tenant_id, request.json(RunCreateStateful), request.path_params["thread_id"])
    return Response.json(200, runs.wait_response(*runs.wait(request.tenant_id, record.run_id)))

"""POST /runs/wait (create_and_wait_for_stateless_run_output)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import RunCreateStateless
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    record = runs.create(request.tenant_id, request.json(RunCreateStateless), None)
    return Response.json(200, runs.wait_response(*runs.wait(request.tenant_id, record.run_id)))

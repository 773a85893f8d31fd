"""POST /threads/{thread_id}/runs (create_thread_run)"""

from agent_runtime.acp import mapping, runs
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import RunCreateStateful
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    record = runs.create(request.tenant_id, request.json(RunCreateStateful), request.path_params["thread_id"])
    return Response.json(200, mapping.acp_run(record))

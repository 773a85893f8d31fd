"""POST /runs (create_stateless_run)"""

from agent_runtime.acp import mapping, runs
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import RunCreateStateless
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    record = runs.create(request.tenant_id, request.json(RunCreateStateless), None)
    return Response.json(200, mapping.acp_run(record))

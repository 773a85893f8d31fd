"""GET /runs/{run_id} (get_stateless_run)"""

from agent_runtime.acp import mapping, runs
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    return Response.json(
        200, mapping.acp_run(runs.get(request.tenant_id, request.path_params["run_id"], None))
    )

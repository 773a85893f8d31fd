"""GET /agents/{agent_id} (get_agent_by_id)"""

from agent_runtime.acp import agents
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    return Response.json(200, agents.agent(agents.by_agent_id(request.path_params["agent_id"])))

"""POST /agents/search (search_agents)"""

from agent_runtime.acp import agents
from agent_runtime.acp.http import acp_endpoint
from agent_runtime.acp.models import AgentSearchRequest
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    body = request.json(AgentSearchRequest)
    return Response.json(200, agents.search(body.name, body.version, body.limit, body.offset))

"""ACP agents: workflows as agents (search, get, descriptor)."""

from agent_runtime.acp import agents
from agent_runtime.acp.http import acp_endpoint, base_url
from agent_runtime.acp.models import AgentSearchRequest
from agent_runtime.http.adapter import Request, Response
from agent_runtime.workflows.registry import registry


@acp_endpoint
def search_agents(request: Request) -> Response:
    body = request.json(AgentSearchRequest)
    return Response.json(200, agents.search(registry(), body.name, body.version, body.limit, body.offset))


@acp_endpoint
def get_agent_by_id(request: Request) -> Response:
    return Response.json(200, agents.agent(agents.by_agent_id(registry(), request.path_params["agent_id"])))


@acp_endpoint
def get_acp_descriptor_by_id(request: Request) -> Response:
    """GET /agents/{agent_id}/descriptor, and its seed-document alias GET /agents/agent/{agent_id}/manifest:
    the descriptor with how the agent is deployed (this runtime, over ACP)."""
    workflow = agents.by_agent_id(registry(), request.path_params["agent_id"])
    if request.path.endswith("/manifest"):
        return Response.json(200, agents.manifest(workflow, base_url(request)))
    return Response.json(200, agents.descriptor(workflow))

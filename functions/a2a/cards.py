"""A2A agent cards, public (no authorizer): GET /.well-known/agent-card.json is the runtime's card
(each workflow a skill); ?agent=<workflow> is that workflow's own card."""

from agent_runtime.a2a import cards
from agent_runtime.a2a.errors import rest_error
from agent_runtime.a2a.http import base_url
from agent_runtime.errors import DomainError, NotFound
from agent_runtime.http.adapter import Request, Response, api_handler
from agent_runtime.http.caching import conditional
from agent_runtime.workflows.registry import registry

# Cards change only with a deployment: clients may cache them for a while and revalidate them with
# their ETag (spec section 8.6). Their URLs come from Host and X-Forwarded-Proto: a shared cache keys on
# them too.
CACHE = {"Cache-Control": "public, max-age=300", "Vary": "Host, X-Forwarded-Proto"}


def _render(error: DomainError, path: str | None) -> Response:
    status, body = rest_error(error)
    return Response.json(status, body)


@api_handler(_render, public=True)
def get_agent_card(request: Request) -> Response:
    agent = request.query.get("agent")
    base = base_url(request)
    if not agent:
        return conditional(request, Response.json(200, cards.runtime_card(registry(), base), CACHE))
    name, _, version = agent.partition("@")
    try:
        workflow = registry().get(name, version or None)
    except NotFound as missing:
        raise NotFound(f"no agent {agent!r}: {missing.detail}") from None
    return conditional(request, Response.json(200, cards.workflow_card(workflow, base), CACHE))

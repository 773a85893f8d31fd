"""POST /v1/webhook-secret/rotate"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint


@v1_endpoint
def handler(request: Request) -> Response:
    # The new secret is in this response only; no-store keeps it out of caches.
    secret = Engine.default().deliveries.rotate_secret(request.tenant_id)
    return Response.json(201, secret, {"Cache-Control": "no-store"})

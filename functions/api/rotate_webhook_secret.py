"""POST /v1/webhook-secret/rotate"""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.webhooks import secrets


@api_handler
def handler(request: Request) -> Response:
    # The new secret is in this response only; no-store keeps it out of caches.
    return Response.json(201, secrets.rotate(request.tenant_id), {"Cache-Control": "no-store"})

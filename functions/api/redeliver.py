"""POST /v1/deliveries/{delivery_id}/redeliver"""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.webhooks import sender


@api_handler
def handler(request: Request) -> Response:
    return Response.json(202, sender.redeliver(request.tenant_id, request.path_params["delivery_id"]))

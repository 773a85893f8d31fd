"""POST /v1/deliveries/{delivery_id}/redeliver"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import delivery_json


@v1_endpoint
def handler(request: Request) -> Response:
    delivery = Engine.default().deliveries.redeliver(request.tenant_id, request.path_params["delivery_id"])
    return Response.json(202, delivery_json(delivery))

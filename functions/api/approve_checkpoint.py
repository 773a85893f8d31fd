"""POST /v1/runs/{run_id}/checkpoints/{checkpoint_id}/approve"""

from agent_runtime.engine import Engine
from agent_runtime.engine.checkpoints import Approve
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.models import ApproveRequest, channel
from agent_runtime.v1.views import checkpoint_json


@v1_endpoint
def handler(request: Request) -> Response:
    body = request.json(ApproveRequest)
    params = request.path_params
    answered = Engine.default().checkpoints.answer(
        request.tenant_id,
        params["run_id"],
        params["checkpoint_id"],
        Approve(body.comment),
        request.principal,
        via=channel(request),
    )
    return Response.json(200, checkpoint_json(answered))

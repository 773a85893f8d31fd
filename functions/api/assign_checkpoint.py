"""POST /v1/runs/{run_id}/checkpoints/{checkpoint_id}/assign"""

from agent_runtime.engine import Engine
from agent_runtime.engine.assignments import Claim, Reassign
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.models import AssignRequest, channel
from agent_runtime.v1.views import checkpoint_json


@v1_endpoint
def handler(request: Request) -> Response:
    body = request.json(AssignRequest)
    params = request.path_params
    assigned = Engine.default().assignments.assign(
        request.tenant_id,
        params["run_id"],
        params["checkpoint_id"],
        Claim() if body.claim else Reassign(body.assignee),
        request.principal,
        via=channel(request),
    )
    return Response.json(200, checkpoint_json(assigned))

"""POST /v1/runs/{run_id}/checkpoints/{checkpoint_id}/input"""

from agent_runtime.engine import Engine
from agent_runtime.engine.checkpoints import Answer, Approve, Submit
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.answers import ApprovalInputRequest
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.models import InputRequest, channel
from agent_runtime.v1.views import checkpoint_json


@v1_endpoint
def handler(request: Request) -> Response:
    body = request.json(InputRequest)
    params = request.path_params
    engine = Engine.default()
    checkpoint = engine.checkpoints.get(request.tenant_id, params["run_id"], params["checkpoint_id"])
    answer: Answer = Submit(body.data)
    if checkpoint.type == "approval":
        # `data` is the decision the checkpoint's response_schema describes. Only a pending checkpoint's
        # data is checked: any answer to one that is no longer pending is the engine's 409.
        answer = request.json(ApprovalInputRequest).answer() if checkpoint.status == "pending" else Approve()
    answered = engine.checkpoints.answer(
        request.tenant_id,
        params["run_id"],
        params["checkpoint_id"],
        answer,
        request.principal,
        via=channel(request),
    )
    return Response.json(200, checkpoint_json(answered))

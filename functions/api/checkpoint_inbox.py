"""GET /v1/checkpoints: checkpoints across runs, for approval UIs."""

from agent_runtime.engine import Engine
from agent_runtime.engine.model import CHECKPOINT_STATUSES
from agent_runtime.errors import BadRequest
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import checkpoint_json


@v1_endpoint
def handler(request: Request) -> Response:
    status = request.query.get("status") or "pending"
    if status not in CHECKPOINT_STATUSES:
        raise BadRequest(
            f"unknown checkpoint status {status!r}",
            errors=[{"field": "status", "message": f"one of {', '.join(CHECKPOINT_STATUSES)}"}],
        )
    page = Engine.default().checkpoints.inbox(
        request.tenant_id,
        status,
        request.query.get("assignee") or None,
        request.int_query("limit", 50, minimum=1, maximum=100),
        request.query.get("cursor") or None,
        checkpoint_json,
    )
    return Response.json(200, {"data": page.data, "next_cursor": page.next_cursor})

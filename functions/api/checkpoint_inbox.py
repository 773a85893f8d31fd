"""GET /v1/checkpoints?status=pending&assignee=&limit=&cursor= : the inbox across runs."""

from agent_runtime.errors import BadRequest
from agent_runtime.http import Request, Response, api_handler
from agent_runtime.runtime import checkpoints


@api_handler
def handler(request: Request) -> Response:
    status = request.query.get("status") or "pending"
    if status not in checkpoints.CHECKPOINT_STATUSES:
        raise BadRequest(
            f"unknown checkpoint status {status!r}",
            errors=[{"field": "status", "message": f"one of {', '.join(checkpoints.CHECKPOINT_STATUSES)}"}],
        )
    page = checkpoints.inbox(
        request.tenant_id,
        status,
        request.query.get("assignee") or None,
        request.int_query("limit", 50, minimum=1, maximum=100),
        request.query.get("cursor") or None,
    )
    return Response.json(200, page)

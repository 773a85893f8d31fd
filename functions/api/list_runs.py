"""GET /v1/runs?status=&workflow=&limit=&cursor="""

from typing import get_args

from agent_runtime.errors import BadRequest
from agent_runtime.http import Request, Response, api_handler
from agent_runtime.models import RunStatus
from agent_runtime.runtime import runs


@api_handler
def handler(request: Request) -> Response:
    status = request.query.get("status") or None
    if status is not None and status not in get_args(RunStatus):
        raise BadRequest(
            f"unknown status {status!r}",
            errors=[{"field": "status", "message": f"one of {', '.join(get_args(RunStatus))}"}],
        )
    page = runs.list_runs(
        request.tenant_id,
        status=status,
        workflow=request.query.get("workflow") or None,
        limit=request.int_query("limit", 20, minimum=1, maximum=100),
        cursor=request.query.get("cursor") or None,
    )
    return Response.json(200, page)

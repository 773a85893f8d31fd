"""GET /v1/runs"""

import re

from agent_runtime.engine import Engine
from agent_runtime.engine.model import RUN_STATUSES
from agent_runtime.errors import BadRequest
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import run_json

METADATA_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@v1_endpoint
def handler(request: Request) -> Response:
    status = request.query.get("status") or None
    if status is not None and status not in RUN_STATUSES:
        raise BadRequest(
            f"unknown status {status!r}",
            errors=[{"field": "status", "message": f"one of {', '.join(RUN_STATUSES)}"}],
        )
    metadata = {k.removeprefix("metadata."): v for k, v in request.query.items() if k.startswith("metadata.")}
    bad = [k for k in metadata if not METADATA_KEY.match(k)]
    if bad:
        raise BadRequest(
            f"metadata filter key {bad[0]!r} is not valid",
            errors=[{"field": f"metadata.{bad[0]}"[:80], "message": "1-64 letters, digits, _ . -"}],
        )
    page = Engine.default().runs.page(
        request.tenant_id,
        status=status,
        workflow=request.query.get("workflow") or None,
        limit=request.int_query("limit", 20, minimum=1, maximum=100),
        cursor=request.query.get("cursor") or None,
        shape=run_json,
        metadata=metadata or None,
    )
    return Response.json(200, {"data": page.data, "next_cursor": page.next_cursor})

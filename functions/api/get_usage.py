"""GET /v1/usage?from=&to=&workflow=&cursor="""

from agent_runtime.clock import now_iso
from agent_runtime.engine import Engine, usage
from agent_runtime.errors import ValidationFailed
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import usage_json


@v1_endpoint
def handler(request: Request) -> Response:
    start = request.query.get("from") or ""
    if not start:
        raise ValidationFailed("from is required", errors=[{"field": "from", "message": "required"}])
    summary = usage.summarize(
        Engine.default().store.runs,
        request.tenant_id,
        usage.instant(start, "from"),
        usage.instant(request.query.get("to") or now_iso(), "to"),
        request.query.get("workflow") or None,
        request.query.get("cursor") or None,
    )
    return Response.json(200, usage_json(summary))

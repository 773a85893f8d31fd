"""GET /v1/runs/{run_id}/wait?timeout=: the run once it ended or waits for a human, or as it is when
the timeout passes (at most MAX_WAIT_SECONDS: a Lambda behind API Gateway answers within 29 s)."""

from agent_runtime.engine import Engine
from agent_runtime.errors import BadRequest
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import run_json

DEFAULT_WAIT_SECONDS = 20.0
MAX_WAIT_SECONDS = 25.0


def _timeout(request: Request) -> float:
    raw = request.query.get("timeout")
    if raw is None or raw == "":
        return DEFAULT_WAIT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_WAIT_SECONDS:
        raise BadRequest(
            f"timeout must be seconds between 0 and {MAX_WAIT_SECONDS:g}",
            errors=[{"field": "timeout", "message": raw[:40]}],
        )
    return value


@v1_endpoint
def handler(request: Request) -> Response:
    run = Engine.default().runs.wait(request.tenant_id, request.path_params["run_id"], _timeout(request))
    return Response.json(200, run_json(run))

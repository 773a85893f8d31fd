"""GET /v1/runs/{run_id}/wait?timeout=: the run once it ended or waits for a human, or as it is when
the timeout passes (at most MAX_WAIT_SECONDS: a Lambda behind API Gateway answers within 29 s)."""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import run_json

DEFAULT_WAIT_SECONDS = 20.0
MAX_WAIT_SECONDS = 25.0


@v1_endpoint
def handler(request: Request) -> Response:
    timeout = request.seconds_query("timeout", MAX_WAIT_SECONDS)
    wait = DEFAULT_WAIT_SECONDS if timeout is None else timeout
    run = Engine.default().runs.wait(request.tenant_id, request.path_params["run_id"], wait)
    return Response.json(200, run_json(run))

"""POST /runs/stream (create_and_stream_stateless_run_output)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint, sse
from agent_runtime.acp.models import RunCreateStateless
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    body = request.json(RunCreateStateless)
    record = runs.create(request.tenant_id, body, None)
    return sse(runs.stream_window(request.tenant_id, record.run_id, 0, body.modes()))

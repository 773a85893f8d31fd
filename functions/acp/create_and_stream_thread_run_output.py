"""POST /threads/{thread_id}/runs/stream (create_and_stream_thread_run_output)"""

from agent_runtime.acp import runs
from agent_runtime.acp.http import acp_endpoint, sse
from agent_runtime.acp.models import RunCreateStateful
from agent_runtime.http import Request, Response


@acp_endpoint
def handler(request: Request) -> Response:
    body = request.json(RunCreateStateful)
    record = runs.create(request.tenant_id, body, request.path_params["thread_id"])
    return sse(runs.stream_window(request.tenant_id, record.run_id, 0, body.modes()))

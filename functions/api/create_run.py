"""POST /v1/runs"""

from agent_runtime.http import Request, Response, api_handler
from agent_runtime.models import CreateRunRequest
from agent_runtime.runtime import runs


@api_handler
def handler(request: Request) -> Response:
    body = request.json(CreateRunRequest)
    run, replayed = runs.create_run(request.tenant_id, body, request.header("Idempotency-Key"))
    headers = {"Location": f"/v1/runs/{run.run_id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response.json(201, run, headers)

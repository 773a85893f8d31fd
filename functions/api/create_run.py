"""POST /v1/runs"""

from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.models import CreateRunRequest, idempotency_key
from agent_runtime.v1.views import run_json


@v1_endpoint
def handler(request: Request) -> Response:
    body = request.json(CreateRunRequest)
    key = idempotency_key(request.header("Idempotency-Key"))
    run, replayed = Engine.default().runs.create(
        request.tenant_id, body.spec(), idempotency=(key, body.as_sent()) if key is not None else None
    )
    headers = {"Location": f"/v1/runs/{run.run_id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response.json(201, run_json(run), headers)

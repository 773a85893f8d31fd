"""A2A 1.0 over HTTP+JSON: GET/POST/DELETE /a2a/{path+} (agent_runtime/a2a/rest.py routes the
operations: API Gateway can't route their `{id}:cancel` suffixes)."""

from agent_runtime.a2a import rest
from agent_runtime.http.adapter import Request, Response


@rest.rest_endpoint
def handle(request: Request) -> Response:
    return rest.route(request)

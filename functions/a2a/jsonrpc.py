"""A2A 1.0 over JSON-RPC 2.0: POST /a2a, every method (one HTTP operation, so one function)."""

from agent_runtime.a2a import jsonrpc
from agent_runtime.http.adapter import Request, Response


@jsonrpc.jsonrpc_endpoint
def handle(request: Request) -> Response:
    return jsonrpc.handle(request)

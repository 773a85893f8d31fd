"""MCP over Streamable HTTP (2026-07-28): POST /mcp, every method (one HTTP operation, one function)."""

from agent_runtime.http.adapter import Request, Response
from agent_runtime.mcp import transport


@transport.mcp_endpoint
def handle(request: Request) -> Response:
    return transport.handle(request)

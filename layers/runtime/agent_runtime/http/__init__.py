"""The shared Lambda HTTP adapter: API Gateway proxy events in, proxy responses out."""

from agent_runtime.http.adapter import Request, Response, api_handler

__all__ = ["Request", "Response", "api_handler"]

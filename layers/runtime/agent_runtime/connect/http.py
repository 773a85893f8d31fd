"""The Connect door behind API Gateway: a proxy event (already a `Request`, tenant from the authorizer)
becomes a WSGI call of the service's connectrpc application, and its answer a proxy response.

connectrpc serves WSGI; a Lambda gets one buffered request, so the call is made in-process with the
body in memory and the answer collected whole (a server stream is one window: services.py). Binary
answers (application/proto, stream envelopes) go back base64-encoded, as API Gateway wants them.
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

from connectrpc.code import Code
from connectrpc.errors import ConnectError

from agent_runtime.config import settings
from agent_runtime.connect.errors import code_of, message_of
from agent_runtime.connect.gen import agent_runtime_connect as gen
from agent_runtime.connect.services import (
    ArtifactService,
    Caller,
    CheckpointService,
    RunService,
    WorkflowService,
)
from agent_runtime.errors import DomainError
from agent_runtime.http.adapter import Request, Response, api_handler

# The HTTP status of each Connect code (the Connect protocol's table), for errors raised before the
# connectrpc application runs (no tenant, a throttled dependency).
HTTP_STATUS = {
    Code.INVALID_ARGUMENT: 400,
    Code.FAILED_PRECONDITION: 400,
    Code.UNAUTHENTICATED: 401,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.UNAVAILABLE: 503,
    Code.INTERNAL: 500,
}
TEXT_TYPES = ("application/json",)

Application = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _applications(caller: Caller) -> dict[str, Application]:
    limit = settings().max_body_bytes
    return {
        "/agent_runtime.v1.RunService/": gen.RunServiceWSGIApplication(
            RunService(caller), read_max_bytes=limit
        ),
        "/agent_runtime.v1.WorkflowService/": gen.WorkflowServiceWSGIApplication(
            WorkflowService(caller), read_max_bytes=limit
        ),
        "/agent_runtime.v1.CheckpointService/": gen.CheckpointServiceWSGIApplication(
            CheckpointService(caller), read_max_bytes=limit
        ),
        "/agent_runtime.v1.ArtifactService/": gen.ArtifactServiceWSGIApplication(
            ArtifactService(caller), read_max_bytes=limit
        ),
    }


def _environ(request: Request) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": request.path,
        "QUERY_STRING": "&".join(f"{k}={v}" for k, v in request.query.items()),
        "SERVER_NAME": request.header("host") or "localhost",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type := request.header("content-type"):
        environ["CONTENT_TYPE"] = content_type
    for name, value in request.headers.items():
        if name not in {"content-type", "content-length"}:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def call(request: Request) -> Response:
    """Serve one Connect request as the request's tenant."""
    caller = Caller(request.tenant_id, request.principal)
    application = next(
        (app for prefix, app in _applications(caller).items() if request.path.startswith(prefix)), None
    )
    if application is None:
        return connect_error(ConnectError(Code.NOT_FOUND, f"no Connect method at {request.path}"))
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started["status"], started["headers"] = int(status.split(" ", 1)[0]), headers

    body = b"".join(application(_environ(request), start_response))
    headers: dict[str, str] = {}
    for name, value in started["headers"]:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    lower = {name.lower(): value for name, value in headers.items()}
    content_type = lower.get("content-type", "").split(";")[0].strip()
    if content_type in TEXT_TYPES and lower.get("content-encoding", "identity") == "identity":
        return Response(started["status"], body.decode(), headers)
    return Response(started["status"], base64.b64encode(body).decode(), headers, base64=True)


def connect_error(error: ConnectError) -> Response:
    body = Response.json(
        HTTP_STATUS.get(error.code, 500), {"code": error.code.value, "message": error.message}
    )
    if error.code is Code.UNAVAILABLE:
        body.headers["Retry-After"] = "1"
    return body


def render(error: DomainError, path: str | None) -> Response:
    """Errors the adapter raises before a service runs, in Connect's error shape."""
    return connect_error(ConnectError(code_of(error), message_of(error)))


# Every Connect route: typed errors outside the services (a missing tenant, a throttled dependency)
# answer in Connect's error shape too.
connect_endpoint = api_handler(render)

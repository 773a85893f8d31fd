"""The local API gateway: HTTP on loopback -> the API Gateway proxy event the cloud sends -> the
manifest's handler, in-process. Unknown paths get 404 and known paths with another method 405."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from agent_runtime.http.problems import PROBLEM_CONTENT_TYPE, problem
from agent_runtime_local.cloud import ACCOUNT, REGION
from agent_runtime_local.faults import FunctionKilled
from agent_runtime_local.holds import TenantHolds
from agent_runtime_local.lambda_bridge import LocalLambdaContext, resolve_handler
from agent_runtime_local.local_routes import LOOPBACK_NAMES, add_local_routes, host_name
from agent_runtime_local.throttle import BAD_KEYS, TenantBuckets
from functions import manifest

LOCAL_TENANT = "default"
# API Gateway refuses payloads over 10 MB before any function sees them.
GATEWAY_MAX_BODY = 10 * 1024 * 1024
TEXT_TYPES = ("application/json", "text/", "application/problem+json", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class CompiledRoute:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: manifest.FunctionSpec


def compile_routes() -> list[CompiledRoute]:
    compiled = []
    for route, spec in manifest.routes():
        regex = re.escape(route.path)
        # A greedy parameter ({path+}) takes the rest of the path, slashes included, as in API Gateway.
        regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", regex)
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
        compiled.append(CompiledRoute(route.method, route.path, re.compile(f"^{regex}$"), spec))
    # Literal segments win over parameters, and parameters over a greedy one, as in API Gateway:
    # /v1/runs/search before /v1/runs/{id}.
    compiled.sort(key=lambda r: (r.template.count("+}"), r.template.count("{")))
    return compiled


def _problem(
    status: int, title: str, detail: str, slug: str, path: str, headers: dict[str, str] | None = None
) -> Response:
    import json

    body = json.dumps(problem(status, title, detail, slug=slug, instance=path))
    return Response(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def proxy_event(
    request: Request,
    route: CompiledRoute,
    params: dict[str, str],
    body: bytes,
    identity: tuple[str, str] | None,
) -> dict[str, Any]:
    is_text = not body or any(
        t in (request.headers.get("content-type") or "application/json") for t in TEXT_TYPES
    )
    try:
        body_text = body.decode() if is_text else base64.b64encode(body).decode()
    except UnicodeDecodeError:
        is_text, body_text = False, base64.b64encode(body).decode()
    query = dict(request.query_params)
    multi_query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        multi_query.setdefault(key, []).append(value)
    return {
        "resource": route.template,
        "path": request.url.path,
        "httpMethod": request.method,
        "headers": dict(request.headers),
        "multiValueHeaders": {k: request.headers.getlist(k) for k in request.headers},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "body": body_text if body else None,
        "isBase64Encoded": bool(body) and not is_text,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "local",
            "resourcePath": route.template,
            "httpMethod": request.method,
            **({"authorizer": {"tenant_id": identity[0], "principal": identity[1]}} if identity else {}),
        },
    }


# Lambda's limit for a synchronous invocation's event and for its response (6 MB each).
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


class AuthorizerFailed(Exception):
    """The authorizer failed for another reason than the key (its table read stayed throttled, its
    process died): API Gateway answers AUTHORIZER_FAILURE, which infra/api.py makes a 503."""


def keyless_identity(request: Request, require_auth: bool) -> tuple[str, str] | None:
    """The default tenant for a request without credentials (neither an Authorization nor an X-API-Key
    header) unless require_auth; None when the authorizer has to judge. Reads no store, so the gateway
    answers it on its event loop instead of a worker thread."""
    if require_auth or any(name in request.headers for name in ("authorization", "x-api-key")):
        return None
    return LOCAL_TENANT, f"local:{LOCAL_TENANT}"


def authorize(request: Request, require_auth: bool, key_header: str | None = None) -> tuple[str, str] | None:
    """Run the same REQUEST authorizer the cloud runs. A request without credentials (neither an
    Authorization nor an X-API-Key header) is served as the default tenant unless require_auth; any
    credentials, even in a scheme the authorizer doesn't take (`Authorization: Token ...`), are the
    authorizer's to judge: a 401 unless they name a key, as in the cloud. Credentials without the
    route family's `key_header` (manifest.key_header) are a 401, as API Gateway answers them."""
    headers = dict(request.headers)
    if (keyless := keyless_identity(request, require_auth)) is not None:
        return keyless
    if key_header is not None and key_header.lower() not in headers:
        return None  # the route family's one key header is missing: API Gateway's 401 (key_header)
    spec = manifest.by_name(manifest.AUTHORIZER)
    event = {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:local/local/{request.method}{request.url.path}",
        "headers": headers,
        "httpMethod": request.method,
        "path": request.url.path,
    }
    try:
        result = resolve_handler(spec)(event, LocalLambdaContext(spec))
    except (Exception, FunctionKilled) as error:
        if str(error) == "Unauthorized":
            return None
        raise AuthorizerFailed(str(error)) from error
    context = result.get("context") or {}
    return context["tenant_id"], context["principal"]


# The approvals console (console/): its static files are the only public paths, served with the headers
# of console/headers.json (a Content-Security-Policy without 'unsafe-inline', the same the cloud sets in
# infra/console.py). They hold no tenant data: every data call the page makes goes to /v1, behind the
# authorizer. /console and /console/ redirect to index.html, as API Gateway does in the cloud.
CONSOLE_DIR = Path(__file__).resolve().parents[2] / "console"
CONSOLE_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def console_headers() -> dict[str, str]:
    headers: dict[str, str] = json.loads((CONSOLE_DIR / "headers.json").read_text())
    return {name: value for name, value in headers.items() if not name.startswith("//")}


def add_console_routes(app: FastAPI) -> None:
    static = (CONSOLE_DIR / "static").resolve()

    @app.api_route("/console", methods=["GET", "HEAD"])
    @app.api_route("/console/", methods=["GET", "HEAD"])
    async def console_index(request: Request) -> Response:
        return Response(status_code=302, headers={"Location": "/console/index.html"})

    @app.api_route("/console/{file_path:path}", methods=["GET", "HEAD"])
    async def console_file(request: Request, file_path: str) -> Response:
        path = request.url.path
        target = (static / file_path).resolve()
        if not target.is_relative_to(static) or not target.is_file() or target.suffix not in CONSOLE_TYPES:
            return _problem(404, "Not found", f"no console file at {path}", "not-found", path)
        content = target.read_bytes()
        etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        headers = {**console_headers(), "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        body = b"" if request.method == "HEAD" else content
        response = Response(body, media_type=CONSOLE_TYPES[target.suffix], headers=headers)
        response.headers["Content-Length"] = str(len(content))
        return response


class HostCheck:
    """Answers a 403 problem to a request whose Host is not one this server serves (a web page that
    rebinds its own name to 127.0.0.1 sends its name). Plain ASGI: Starlette's BaseHTTPMiddleware ran
    every request through a task group and memory streams of its own, about 4% of the stack's CPU."""

    def __init__(self, app: ASGIApp, served: frozenset[str]) -> None:
        self.app = app
        self.served = served

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and host_name(Request(scope)) not in self.served:
            detail = f"this server answers requests to {', '.join(sorted(self.served))}, not to that Host"
            response = _problem(403, "Forbidden", detail, "host-not-allowed", scope["path"])
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class GatewayFirst:
    """Sends each request that no console or local route takes (path and method) to the gateway
    directly: FastAPI's router, its catch-all route's parameters and its exception layer cost about a
    millisecond per run for requests the gateway answers whole (every path, newlines included, and
    every 404 or 405 as a problem). The local routes' own requests still take FastAPI's way."""

    def __init__(
        self, app: ASGIApp, local_routes: list[BaseRoute], gateway: Callable[[Request], Awaitable[Response]]
    ) -> None:
        self.app = app
        self.local_routes = local_routes
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(
            route.matches(scope)[0] == Match.FULL for route in self.local_routes
        ):
            await self.app(scope, receive, send)
            return
        response = await self.gateway(Request(scope, receive))
        await response(scope, receive, send)


def create_app(
    require_auth: bool = False,
    tenant_throttle: manifest.Throttle | None = None,
    held_open_per_tenant: int = manifest.HELD_OPEN_PER_TENANT,
    allowed_hosts: Collection[str] | None = None,
) -> FastAPI:
    """The gateway. require_auth: no keyless default tenant. tenant_throttle: each tenant's rate (off
    unless given: `agent-runtime dev` gives manifest.TENANT_THROTTLE; tests and benches run unthrottled).
    held_open_per_tenant: the requests of `holds_open` functions a tenant may hold at once (holds.py).
    allowed_hosts: the Host names served besides the loopback ones (a web page that rebinds its own
    name to 127.0.0.1 sends its name: 403); None serves any (tests, benches, a wildcard bind whose
    every request needs a key). The admin routes take loopback names and these only, always."""
    routes = compile_routes()
    buckets = TenantBuckets(tenant_throttle) if tenant_throttle is not None else None
    bad_keys = TenantBuckets(BAD_KEYS) if tenant_throttle is not None else None
    holds = TenantHolds(held_open_per_tenant)
    # FastAPI's OpenTelemetry hooks looked up the global providers on every request; the local gateway
    # exports no telemetry (the functions log through Powertools, as in the cloud).
    no_telemetry: Any = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(
        title="agent-runtime local gateway",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=no_telemetry,
    )
    app.state.allowed_hosts = frozenset(h.lower() for h in allowed_hosts or ())
    add_console_routes(app)
    add_local_routes(app)  # the docs page and /_local/api-keys (local_routes.py)

    async def gateway(request: Request) -> Response:
        path = request.url.path
        matches = [(r, m) for r in routes if (m := r.pattern.match(path))]
        if not matches:
            return _problem(404, "Not found", f"no route for {path}", "not-found", path)
        # API Gateway picks the resource first (literal segments before parameters: /runs/search, not
        # /runs/{run_id}), then the method on it: a method only the sibling has is a 405 here too.
        resource = matches[0][0].template
        matches = [(r, m) for r, m in matches if r.template == resource]
        chosen = next(((r, m) for r, m in matches if r.method == request.method), None)
        if chosen is None:
            allowed = sorted({r.method for r, _ in matches})
            detail = f"{request.method} is not allowed on {path}; use {', '.join(allowed)}"
            return _problem(
                405, "Method not allowed", detail, "method-not-allowed", path, {"Allow": ", ".join(allowed)}
            )
        route, match = chosen
        body = await request.body()
        if len(body) > GATEWAY_MAX_BODY:
            return _problem(413, "Payload too large", "request body exceeds 10 MB", "payload-too-large", path)
        # Key guessing: an address whose unknown keys are over BAD_KEYS gets no key checked for a while.
        client = request.client.host if request.client else ""
        credentials = any(name in request.headers for name in ("authorization", "x-api-key"))
        if bad_keys is not None and credentials and (wait := bad_keys.empty(client)) is not None:
            detail = f"too many requests with unknown API keys from this address; retry in {wait} s"
            return _problem(429, "Too many requests", detail, "throttled", path, {"Retry-After": str(wait)})
        # A public route (FunctionSpec.public) has no authorizer in the cloud either: no tenant.
        try:
            identity = (
                None
                if route.spec.public
                else keyless_identity(request, require_auth)
                or await run_in_threadpool(authorize, request, require_auth, manifest.key_header(route.spec))
            )
        except AuthorizerFailed:
            detail = "the API key could not be checked just now; try again"
            return _problem(503, "Service unavailable", detail, "unavailable", path, {"Retry-After": "1"})
        if identity is None and not route.spec.public:
            if bad_keys is not None and credentials:
                bad_keys.take(client)
            return _problem(
                401,
                "Unauthorized",
                "missing or unknown API key",
                "unauthorized",
                path,
                {"WWW-Authenticate": "Bearer"},
            )
        if buckets is not None and identity is not None and (wait := buckets.take(identity[0])) is not None:
            detail = f"tenant {identity[0]} is over its request rate; retry in {wait} s"
            return _problem(429, "Too many requests", detail, "throttled", path, {"Retry-After": str(wait)})
        event = proxy_event(request, route, match.groupdict(), body, identity)
        if json_size(event) > LAMBDA_PAYLOAD_LIMIT:
            # API Gateway can't invoke the function with it and answers 413 itself.
            return _problem(413, "Payload too large", "Request Too Long", "payload-too-large", path)
        handler = resolve_handler(route.spec)
        context = LocalLambdaContext(route.spec)
        try:
            if route.spec.holds_open and identity is not None:
                with holds.hold(identity[0]) as limiter:
                    if limiter is None:
                        detail = (
                            f"tenant {identity[0]} holds {holds.limit} requests open already (waits, "
                            "streams, blocking sends); retry when one of them has answered"
                        )
                        return _problem(
                            429,
                            "Too many open requests",
                            detail,
                            "too-many-open-requests",
                            path,
                            {"Retry-After": "1"},
                        )
                    result = await anyio.to_thread.run_sync(handler, event, context, limiter=limiter)
            else:
                result = await run_in_threadpool(handler, event, context)
        except FunctionKilled:  # the function's process died: API Gateway answers 502
            return _problem(502, "Bad gateway", "the function failed to answer", "internal", path)
        if json_size(result) > LAMBDA_PAYLOAD_LIMIT:
            # Lambda refuses a response this large; API Gateway answers 502.
            detail = "the function's response exceeds Lambda's 6 MB limit"
            return _problem(502, "Bad gateway", detail, "internal", path)
        payload = result.get("body") or ""
        content = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        return Response(content, status_code=result["statusCode"], headers=result.get("headers") or {})

    # Added first, so inside the Host check: the console's and the local routes go through FastAPI's
    # router, every other request (the functions' routes, and a 404 or 405 problem) to the gateway.
    app.add_middleware(GatewayFirst, local_routes=app.router.routes, gateway=gateway)
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, served=LOOPBACK_NAMES | app.state.allowed_hosts)
    return app

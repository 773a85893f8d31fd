"""Routes only the local stack has, next to the API the manifest serves:

- `GET /docs`: Swagger UI (vendored, docs/vendor/swagger-ui/VENDORED.md) over the API's own OpenAPI
  documents, v1 (GET /v1/openapi.json), ACP (`?spec=acp`, GET /v1/openapi/acp.json) and A2A (`?spec=a2a`,
  /docs/openapi/a2a.json, served here only), with "Try it out": no CDN, nothing fetched from outside.
  The documents those functions serve are rendered from openapi/ when the gateway is made
  (`openapi_documents`), as infra/compute.py renders them into the code asset for the cloud.
- `/_local/api-keys`: create, list and revoke API keys of the local stack's table (moto, inside the
  `agent-runtime dev` process, so the CLI can't reach it otherwise). Loopback clients only, and never
  from a page of another origin (a browser sends `Origin`; JSON bodies need a CORS preflight this
  server never grants), since a key is a tenant's credential. The `Host` header must name this
  machine's loopback (or a host the operator allowed): a DNS-rebinding page reaches a loopback
  server under its own name, and its `Origin` matches that name.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from agent_runtime.http.problems import PROBLEM_CONTENT_TYPE, problem

DOCS_DIR = Path(__file__).resolve().parent / "docs"
JS, CSS, JSON = "text/javascript; charset=utf-8", "text/css; charset=utf-8", "application/json"
# Every file the docs page may load, by its path under /docs/ (nothing else is served from there).
DOCS_FILES = {
    "docs.js": (DOCS_DIR / "docs.js", JS),
    "vendor/swagger-ui/swagger-ui-bundle.js": (DOCS_DIR / "vendor/swagger-ui/swagger-ui-bundle.js", JS),
    "vendor/swagger-ui/swagger-ui-standalone-preset.js": (
        DOCS_DIR / "vendor/swagger-ui/swagger-ui-standalone-preset.js",
        JS,
    ),
    "vendor/swagger-ui/swagger-ui.css": (DOCS_DIR / "vendor/swagger-ui/swagger-ui.css", CSS),
    "openapi/a2a.json": (Path(__file__).resolve().parents[2] / "openapi" / "a2a-1.0.json", JSON),
}
DOCS_HEADERS = {
    # Everything the page uses is served here; the specs come from /v1 (and /docs) on the same origin.
    # Swagger UI sets styles through the DOM (not style attributes in markup), which 'self' allows.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
ADMIN_PATH = "/_local/api-keys"
# The names a browser uses for this machine's loopback: any other Host is a page's own name (DNS
# rebinding), whatever address it resolved to.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(request: Request) -> str:
    """The Host header's name, lowercased, without the port (IPv6 without its brackets)."""
    host = (request.headers.get("host") or "").strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


OPENAPI_SOURCES = Path(__file__).resolve().parents[2] / "openapi"


@cache
def openapi_documents() -> Path:
    """The OpenAPI documents get_openapi and get_acp_openapi serve, rendered as JSON into a folder of
    this process's (named by OPENAPI_DOCUMENTS, where functions/api/get_openapi.py looks)."""
    import yaml

    target = Path(tempfile.mkdtemp(prefix="agent-runtime-openapi-"))
    atexit.register(shutil.rmtree, target, True)
    document = yaml.safe_load((OPENAPI_SOURCES / "agent-runtime.yaml").read_text(encoding="utf-8"))
    (target / "agent-runtime.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(OPENAPI_SOURCES / "acp-openapi-0.2.3.json", target / "acp-openapi-0.2.3.json")
    os.environ["OPENAPI_DOCUMENTS"] = str(target)
    return target


def _problem(status: int, title: str, detail: str, slug: str, path: str) -> Response:
    body = json.dumps(problem(status, title, detail, slug=slug, instance=path))
    return Response(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE)


def _refused(request: Request) -> Response | None:
    """A 403 unless the request comes from this machine, names it in Host, and not from another
    origin's page."""
    path = request.url.path
    try:
        loopback = ipaddress.ip_address(request.client.host if request.client else "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return _problem(
            403, "Forbidden", "the local admin routes answer loopback clients only", "forbidden", path
        )
    allowed = LOOPBACK_NAMES | getattr(request.app.state, "allowed_hosts", frozenset())
    if host_name(request) not in allowed:
        detail = "the local admin routes answer requests to this machine's loopback names only"
        return _problem(403, "Forbidden", detail, "forbidden", path)
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return _problem(
            403, "Forbidden", "the local admin routes refuse cross-origin requests", "forbidden", path
        )
    return None


def _key_json(info: Any, key: str | None = None) -> dict[str, Any]:
    body = {
        "key_id": info.key_id,
        "tenant": info.tenant_id,
        "principal": info.principal,
        "created_at": info.created_at,
    }
    return {"key": key, **body} if key is not None else body


def add_local_routes(app: FastAPI) -> None:
    """Register the docs page and the API-key admin routes (before the gateway's catch-all), and render
    the OpenAPI documents the API serves."""
    openapi_documents()

    @app.get("/docs")
    @app.get("/docs/")
    async def docs_page() -> Response:
        return Response((DOCS_DIR / "index.html").read_bytes(), media_type="text/html; charset=utf-8",
                        headers=DOCS_HEADERS)  # fmt: skip

    @app.get("/docs/{name:path}")
    async def docs_asset(request: Request, name: str) -> Response:
        if name not in DOCS_FILES:
            return _problem(404, "Not found", f"no docs file {name}", "not-found", request.url.path)
        path, media_type = DOCS_FILES[name]
        return Response(path.read_bytes(), media_type=media_type, headers=DOCS_HEADERS)

    @app.post(ADMIN_PATH)
    async def create_key(request: Request) -> Response:
        if (refused := _refused(request)) is not None:
            return refused
        path = request.url.path
        if (request.headers.get("content-type") or "").split(";")[0].strip() != "application/json":
            return _problem(
                415, "Unsupported media type", "send application/json", "unsupported-media-type", path
            )
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        tenant = body.get("tenant") if isinstance(body, dict) else None
        principal = body.get("principal") if isinstance(body, dict) else None
        if not isinstance(tenant, str) or not tenant or not isinstance(principal, str | None):
            detail = 'send {"tenant": "<tenant>", "principal": "<who holds it>"?}'
            return _problem(422, "Validation failed", detail, "validation-failed", path)
        from agent_runtime.engine import Engine
        from agent_runtime.errors import ValidationFailed

        try:
            key, info = await run_in_threadpool(Engine.default().api_keys.issue, tenant, principal)
        except ValidationFailed as invalid:  # a tenant id or principal the keys can't hold
            body = json.dumps(problem(422, "Validation failed", invalid.detail, slug="validation-failed",
                                      instance=path, errors=invalid.errors))  # fmt: skip
            return Response(body, status_code=422, media_type=PROBLEM_CONTENT_TYPE)
        return Response(json.dumps(_key_json(info, key)), status_code=201, media_type="application/json")

    @app.get(ADMIN_PATH)
    async def list_keys(request: Request) -> Response:
        if (refused := _refused(request)) is not None:
            return refused
        from agent_runtime.engine import Engine

        tenant = request.query_params.get("tenant") or None
        listed = await run_in_threadpool(Engine.default().api_keys.list, tenant)
        return Response(json.dumps({"data": [_key_json(k) for k in listed]}), media_type="application/json")

    @app.delete(ADMIN_PATH + "/{key_or_id}")
    async def revoke_key(request: Request, key_or_id: str) -> Response:
        if (refused := _refused(request)) is not None:
            return refused
        from agent_runtime.engine import Engine

        revoked = await run_in_threadpool(Engine.default().api_keys.revoke, key_or_id)
        if revoked is None:
            detail = "no key with that id (at least 8 hex digits naming one key) or value"
            return _problem(404, "Not found", detail, "not-found", request.url.path)
        return Response(json.dumps(_key_json(revoked)), media_type="application/json")

"""Build API Gateway proxy events from events/apigw-proxy.json and call the manifest's handlers."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from agent_runtime_local.lambda_bridge import LocalLambdaContext, resolve_handler
from functions import manifest

EVENTS = Path(__file__).resolve().parents[1] / "events"


@cache
def _template() -> dict[str, Any]:
    template: dict[str, Any] = json.loads((EVENTS / "apigw-proxy.json").read_text())
    return template


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def _route(method: str, path: str) -> tuple[manifest.FunctionSpec, str, dict[str, str]]:
    # Literal segments win over parameters, as in API Gateway: /runs/search before /runs/{run_id}.
    for route, spec in sorted(manifest.routes(), key=lambda r: r[0].path.count("{")):
        if route.method != method:
            continue
        template_parts, path_parts = route.path.split("/"), path.split("/")
        if len(template_parts) != len(path_parts):
            continue
        params = {}
        for t, p in zip(template_parts, path_parts, strict=True):
            if t.startswith("{"):
                params[t[1:-1]] = p
            elif t != p:
                break
        else:
            return spec, route.path, params
    raise LookupError(f"no route {method} {path}")


def call(
    method: str,
    path: str,
    *,
    tenant: str,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> Reply:
    spec, resource, params = _route(method, path)
    event = copy.deepcopy(_template())
    event.update(
        resource=resource,
        path=path,
        httpMethod=method,
        pathParameters=params or None,
        queryStringParameters=query or None,
    )
    event["headers"] = {**event["headers"], **(headers or {})}
    if raw_body is None and body is not None:
        # As clients send JSON: UTF-8 (httpx does), not \u escapes that triple a body's size.
        raw_body = json.dumps(body, ensure_ascii=False)
    event["body"] = raw_body
    event["requestContext"].update(resourcePath=resource, httpMethod=method)
    event["requestContext"]["authorizer"] = {"tenant_id": tenant, "principal": f"key:{tenant}"}
    result = resolve_handler(spec)(event, LocalLambdaContext(spec))
    return Reply(result["statusCode"], result.get("headers") or {}, result.get("body") or "")

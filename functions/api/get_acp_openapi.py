"""GET /v1/openapi/acp.json: the ACP 0.2.3 OpenAPI document the root paths implement (see
get_openapi.py for where the documents are read from)."""

from __future__ import annotations

from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from functions.api.get_openapi import ACP_DOCUMENT, serve


@v1_endpoint
def handler(request: Request) -> Response:
    return serve(ACP_DOCUMENT)

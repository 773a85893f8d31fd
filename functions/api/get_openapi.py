"""GET /v1/openapi.json: the v1 API's OpenAPI document, the contract clients generate code from.

openapi/agent-runtime.yaml is the source; the function serves it as JSON, read from a folder of
rendered documents: functions/openapi/ in the deployed code asset (infra/compute.py
`stage_function_code` renders them at build), or the folder OPENAPI_DOCUMENTS names (the local stack
renders them when its gateway starts, local/agent_runtime_local/local_routes.py).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint

STAGED = Path(__file__).resolve().parents[1] / "openapi"
V1_DOCUMENT = "agent-runtime.json"
ACP_DOCUMENT = "acp-openapi-0.2.3.json"


@cache
def document(name: str) -> str:
    """The document's JSON text (read once per container)."""
    places = [Path(p) for p in [os.environ.get("OPENAPI_DOCUMENTS")] if p] + [STAGED]
    for place in places:
        if (place / name).is_file():
            return (place / name).read_text(encoding="utf-8")
    raise FileNotFoundError(f"{name} is in none of {[str(p) for p in places]}")


def serve(name: str) -> Response:
    return Response(200, document(name), {"Content-Type": "application/json", "Cache-Control": "max-age=300"})


@v1_endpoint
def handler(request: Request) -> Response:
    return serve(V1_DOCUMENT)

"""GET /v1/artifacts/{artifact_id}/preview"""

from agent_runtime.engine import Engine
from agent_runtime.engine.artifact_preview import preview
from agent_runtime.http.adapter import Request, Response
from agent_runtime.v1.errors import v1_endpoint
from agent_runtime.v1.views import artifact_json


@v1_endpoint
def handler(request: Request) -> Response:
    shown = preview(Engine.default(), request.tenant_id, request.path_params["artifact_id"])
    return Response.json(
        200,
        {
            **artifact_json(shown.artifact),
            "kind": shown.kind,
            "text": shown.text,
            "data_base64": shown.data_base64,
            "truncated": shown.truncated,
            "reason": shown.reason,
        },
    )

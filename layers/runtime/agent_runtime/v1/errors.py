"""The v1 API's errors: RFC 9457 problem details (application/problem+json) with field-level errors."""

from __future__ import annotations

import json
from typing import Any

from agent_runtime.engine.model import Checkpoint
from agent_runtime.errors import DomainError
from agent_runtime.http.adapter import Response, api_handler
from agent_runtime.http.errors import http_status
from agent_runtime.http.problems import PROBLEM_CONTENT_TYPE, problem


def _extra(value: Any) -> Any:
    from agent_runtime.v1.views import checkpoint_json

    return checkpoint_json(value) if isinstance(value, Checkpoint) else value


def problem_json(error: DomainError, path: str | None) -> Response:
    status, title, slug = http_status(error)
    body = problem(
        status,
        title,
        error.detail,
        slug=slug,
        instance=path,
        errors=error.errors,
        **{name: _extra(value) for name, value in error.extra.items()},
    )
    return Response(status, json.dumps(body, separators=(",", ":")), {"Content-Type": PROBLEM_CONTENT_TYPE})


# Every v1 endpoint: typed errors become problem+json.
v1_endpoint = api_handler(problem_json)

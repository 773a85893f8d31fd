"""While a reload of the project's workflow modules is broken, the v1 workflow endpoints answer a 503
problem naming the module, instead of describing or starting code that is not what was saved: the
catalog (GET /v1/workflows), a project workflow's description and schemas, and POST /v1/runs of a
project workflow. Everything else (built-ins, runs already going, answers, streams, the other doors)
keeps serving the last good workflows. Wrapped around the gateway's app, outside it: it is the
local stack's only, as the reload is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

from starlette.responses import Response

from agent_runtime.http.problems import PROBLEM_CONTENT_TYPE, problem
from agent_runtime_local.reloader import Reloader

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SLUG = "workflows-reload-failed"
WORKFLOW_PATH = re.compile(r"^/v1/workflows/([^/]+)(?:/schemas)?/?$")
# The gateway refuses larger bodies anyway; a body this large is not read here, only passed on.
MAX_READ = 2 * 1024 * 1024


class ReloadGuard:
    def __init__(self, app: ASGIApp, reloader: Reloader, *, detailed: bool) -> None:
        """`detailed`: name the module and the exception (the keyless loopback stack); with keys
        required, an unauthenticated caller may not read the project's errors: the terminal has them."""
        self.app = app
        self.reloader = reloader
        self.detailed = detailed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.reloader.broken is None:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        names = self.reloader.project_names
        if method in {"GET", "HEAD"}:
            match = WORKFLOW_PATH.match(path)
            if path.rstrip("/") == "/v1/workflows" or (match and unquote(match[1]) in names):
                await self._refuse(scope, receive, send)
                return
        elif method == "POST" and path.rstrip("/") == "/v1/runs":
            body, receive = await _buffered(receive)
            if _workflow_name(body) in names:
                await self._refuse(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        broken = self.reloader.broken
        if broken is None:  # loaded meanwhile
            await self.app(scope, receive, send)
            return
        title = "Workflow modules failed to reload"
        if self.detailed:
            detail = (
                f"{broken.module} failed to reload: {broken.error}. Runs already going keep the "
                "workflows loaded before; fix the module and save it."
            )
            extra: dict[str, Any] = {"module": broken.module, "error": broken.error, "hint": broken.hint}
        else:
            detail = "the project's workflow modules failed to reload: agent-runtime dev's output says why"
            extra = {}
        body = problem(503, title, detail, slug=SLUG, instance=scope["path"], **extra)
        # Retry-After, as every 503 of the API carries: the next save that loads ends it.
        response = Response(
            json.dumps(body), status_code=503, media_type=PROBLEM_CONTENT_TYPE, headers={"Retry-After": "1"}
        )
        await response(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The request's body (up to MAX_READ) and a receive that hands the app the same messages."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body") or size > MAX_READ:
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return (body if size <= MAX_READ else b""), replay


def _workflow_name(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    workflow = document.get("workflow") if isinstance(document, dict) else None
    if isinstance(workflow, dict) and isinstance(workflow.get("name"), str):
        return str(workflow["name"])
    return None

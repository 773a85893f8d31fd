"""The ACP 0.2.3 contract (openapi/acp-openapi-0.2.3.json): its operations, and validation of what
the local stack answers against it (JSON bodies, ACP's string errors and SSE frames)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ACP_SPEC_PATH = Path(__file__).resolve().parents[3] / "openapi" / "acp-openapi-0.2.3.json"
ACP_SPEC_URI = "urn:agent-runtime:acp-openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SSE = "text/event-stream"
# The stream updates an `agent_event` frame's data may hold (RunOutputStream.data's oneOf).
STREAM_UPDATES = {
    "values": "ValueRunResultUpdate",
    "custom": "CustomRunResultUpdate",
    "interrupt": "ValueRunInterruptUpdate",
    "error": "ValueRunErrorUpdate",
}


@cache
def acp_spec() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(ACP_SPEC_PATH.read_text())
    return document


@cache
def _registry() -> Registry[Any]:
    return Registry().with_resource(
        ACP_SPEC_URI, Resource.from_contents(acp_spec(), default_specification=DRAFT202012)
    )


def acp_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path, operation)."""
    found = {}
    for path, item in acp_spec()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                found[item[method]["operationId"]] = (method.upper(), path, item[method])
    return found


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str) -> str:
    return "#/" + "/".join(_escape(t) for t in tokens)


def validate_acp(instance: Any, at: str) -> None:
    """Validate `instance` against the ACP spec's schema at JSON pointer `at` (formats checked)."""
    validator = Draft202012Validator(
        {"$ref": ACP_SPEC_URI + at}, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        where = list(error.absolute_path)
        raise AssertionError(f"{json.dumps(instance)[:300]} does not match {at}: {error.message} at {where}")


def parse_frames(text: str) -> list[dict[str, str]]:
    """SSE blocks as dicts of their fields; comment-only blocks are dropped."""
    frames = []
    for raw in text.replace("\r\n", "\n").split("\n\n"):
        frame: dict[str, str] = {}
        for line in raw.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            frame[name] = value[1:] if value.startswith(" ") else value
        if frame:
            frames.append(frame)
    return frames


def check_stream(text: str, after: int = 0) -> list[dict[str, Any]]:
    """Every frame is `event: agent_event` with an increasing numeric id and a data line holding one
    of the spec's stream updates (and the whole frame is a RunOutputStream). Returns the updates."""
    updates = []
    last = after
    for frame in parse_frames(text):
        assert frame.get("event") == "agent_event", frame
        assert frame.get("id", "").isdigit() and int(frame["id"]) > last, (frame, last)
        last = int(frame["id"])
        data = json.loads(frame["data"])
        assert data.get("type") in STREAM_UPDATES, data
        validate_acp(data, pointer("components", "schemas", STREAM_UPDATES[data["type"]]))
        validate_acp(
            {"id": frame["id"], "event": frame["event"], "data": data},
            pointer("components", "schemas", "RunOutputStream"),
        )
        updates.append(data)
    return updates


def acp_conforms(response: httpx.Response, operation_id: str, *, allow: frozenset[int] = frozenset()) -> Any:
    """Assert the response is one the ACP spec documents for the operation (status, content type,
    body); statuses in `allow` are this runtime's documented deviations and are only checked for
    shape (204: no body; 401: an ErrorResponse-like string or a problem). Returns the parsed body."""
    method, path, operation = acp_operations()[operation_id]
    status = str(response.status_code)
    documented = operation["responses"]
    if response.status_code in allow and status not in documented:
        if response.status_code == 204:
            assert response.content == b"", response.text[:200]
            return None
        return response.json()
    assert status in documented, (
        f"{operation_id} answered {status}, documented: {sorted(documented)}: {response.text[:500]}"
    )
    content = documented[status].get("content") or {}
    if not content:
        assert response.content == b"", f"{operation_id} {status} has a body: {response.text[:200]}"
        return None
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    assert kind in content, f"{operation_id} {status} came as {kind!r}; documented: {sorted(content)}"
    if kind == SSE:
        return check_stream(response.text)
    body = response.json()
    validate_acp(body, pointer("paths", path, method.lower(), "responses", status, "content", kind, "schema"))
    return body

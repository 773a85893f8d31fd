"""MCP tests reuse the end-to-end fixtures (the local stack's gateway on 127.0.0.1, a tenant's key) and
speak raw JSON-RPC the way the 2026-07-28 Streamable HTTP transport asks: every request carries its
protocol version and client capabilities in `_meta`, mirrored in headers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

VERSION = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"
NAME_FIELDS = {
    "tools/call": "name",
    "tasks/get": "taskId",
    "tasks/update": "taskId",
    "tasks/cancel": "taskId",
}
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "ext-tasks.schema.json").read_text())


def conforms(instance: Any, definition: str) -> None:
    """`instance` is valid against the Tasks extension's `$defs[definition]` (raises otherwise)."""
    schema = {"$ref": f"#/$defs/{definition}", "$defs": SCHEMA["$defs"]}
    Draft202012Validator(schema).validate(instance)


def envelope(
    method: str, params: dict[str, Any] | None = None, *, tasks: bool = True, rid: Any = 1
) -> dict[str, Any]:
    capabilities: dict[str, Any] = {"extensions": {TASKS: {}}} if tasks else {}
    meta = {
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "1.0.0"},
    }
    body_params = dict(params or {})
    body_params["_meta"] = {**meta, **body_params.get("_meta", {})}
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": body_params}


def headers_for(body: dict[str, Any]) -> dict[str, str]:
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": VERSION,
        "Mcp-Method": body["method"],
    }
    field = NAME_FIELDS.get(body["method"])
    if field is not None and field in body["params"]:
        headers["Mcp-Name"] = str(body["params"][field])
    return headers


def post(http: httpx.Client, body: dict[str, Any], **headers: str) -> httpx.Response:
    return http.post("/mcp", json=body, headers={**headers_for(body), **headers})


def rpc(
    http: httpx.Client, method: str, params: dict[str, Any] | None = None, *, tasks: bool = True
) -> dict[str, Any]:
    """The result of a request that must succeed (200, no error)."""
    response = post(http, envelope(method, params, tasks=tasks))
    assert response.status_code == 200, response.text
    body = response.json()
    assert "error" not in body, body
    result: dict[str, Any] = body["result"]
    return result


@pytest.fixture
def mcp_url(base_url: str) -> str:
    return f"{base_url}/mcp"

"""Write openapi/a2a-1.0.json: the A2A 1.0 door of this runtime as an OpenAPI 3.1 document, for the
local stack's API docs page ("Try it out"). A2A publishes no OpenAPI document; its operations and their
HTTP+JSON paths are the `google.api.http` options of `a2a.proto` here, its messages the JSON Schema
`a2a-v1.0.schema.json` generated from that proto (README.md). This joins the two: each rpc's tenant
path (the runtime's tenant is the workflow, README "A2A"), under `/a2a`, with the request message's
path fields as path parameters, the rest of a GET's as query parameters and a POST's as the body, plus
the JSON-RPC binding at `POST /a2a` and the agent card. tests/doors/a2a/test_a2a_openapi.py checks that
the committed file is what this writes.

    .venv/bin/python tests/doors/a2a/spec/generate_openapi.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
TARGET = ROOT / "openapi" / "a2a-1.0.json"
SSE = "text/event-stream"

# rpc name -> (summary, whether it answers with a stream)
SUMMARIES = {
    "SendMessage": "Send a message: starts a run of the workflow, or answers a task's checkpoint",
    "SendStreamingMessage": "Send a message and stream the task's updates (one window)",
    "GetTask": "A task (a run)",
    "ListTasks": "The workflow's tasks, newest first",
    "CancelTask": "Cancel a task",
    "SubscribeToTask": "Stream a task's updates (one window; Last-Event-ID resumes)",
    "CreateTaskPushNotificationConfig": "Set the task's push notification config (its webhook)",
    "GetTaskPushNotificationConfig": "A push notification config (without its token and credentials)",
    "ListTaskPushNotificationConfigs": "The task's push notification configs",
    "GetExtendedAgentCard": "The workflow's extended agent card (every version, with its input schema)",
    "DeleteTaskPushNotificationConfig": "Delete a push notification config",
}
RPC = re.compile(
    r"rpc (\w+)\((\w+)\) returns \((stream )?([\w.]+)\) \{\s*option \(google\.api\.http\) = \{\s*"
    r"(get|post|delete): \"([^\"]+)\"(\s*body: \"\*\")?",
)


def _rpcs(proto: str) -> list[tuple[str, str, bool, str, str, str, bool]]:
    found = []
    for name, request, stream, response, method, path, body in RPC.findall(proto):
        found.append((name, request, bool(stream), response.split(".")[-1], method, path, bool(body)))
    return found


def _refs(value: Any) -> Any:
    """The schema's `#/$defs/X` as the document's `#/components/schemas/X`."""
    if isinstance(value, dict):
        return {
            k: ("#/components/schemas/" + v.split("/")[-1] if k == "$ref" else _refs(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_refs(v) for v in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def document() -> dict[str, Any]:
    schema = json.loads((HERE / "a2a-v1.0.schema.json").read_text(encoding="utf-8"))
    schemas: dict[str, Any] = _refs(schema["$defs"])
    version_header = {
        "name": "A2A-Version",
        "in": "header",
        "required": True,
        "description": "The A2A version: without it a request is A2A 0.3, which is not served.",
        "schema": {"type": "string", "default": "1.0", "enum": ["1.0"]},
    }
    tenant = {
        "name": "tenant",
        "in": "path",
        "required": True,
        "description": "The workflow (A2A's tenant is the agent behind this endpoint), e.g. echo_agent.",
        "schema": {"type": "string", "default": "echo_agent"},
    }
    paths: dict[str, Any] = {}
    for name, request, stream, response, method, path, body in _rpcs((HERE / "a2a.proto").read_text()):
        in_path = [_camel(field.split("=")[0]) for field in re.findall(r"\{([^}]+)\}", path)]
        template = "/a2a/{tenant}" + re.sub(r"\{(\w+)=\*\}", lambda m: "{" + _camel(m.group(1)) + "}", path)
        parameters: list[dict[str, Any]] = [tenant, version_header]
        parameters += [
            {"name": field, "in": "path", "required": True, "schema": {"type": "string"}} for field in in_path
        ]
        request_schema = schemas[request]
        if method == "get":
            for field, spec in request_schema.get("properties", {}).items():
                if field not in in_path and field != "tenant":
                    parameters.append({"name": field, "in": "query", "schema": spec})
        answer: dict[str, Any]
        if response == "Empty":
            answer = {"204": {"description": "Deleted (or there was nothing to delete)."}}
        elif stream:
            answer = {
                "200": {
                    "description": f"Server-sent events, each `data:` a {response}.",
                    "content": {SSE: {"schema": {"type": "string"}}},
                }
            }
        else:
            answer = {
                "200": {
                    "description": response,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{response}"}}},
                }
            }
        operation: dict[str, Any] = {
            "operationId": name,
            "tags": ["HTTP+JSON"],
            "summary": SUMMARIES.get(name, name),
            "parameters": parameters,
            "responses": {**answer, "default": {"description": "An A2A error (google.rpc.Status as JSON)."}},
        }
        if method == "post" and body:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{request}"}}},
            }
        paths.setdefault(template, {})[method] = operation
    paths["/a2a"] = {
        "post": {
            "operationId": "JsonRpc",
            "tags": ["JSON-RPC 2.0"],
            "summary": "Any A2A method over JSON-RPC 2.0 (`tenant` in `params` names the workflow)",
            "parameters": [version_header],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JsonRpcRequest"}}},
            },
            "responses": {
                "200": {
                    "description": "A JSON-RPC response (or, for the streaming methods, server-sent "
                    "events of JSON-RPC responses).",
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        SSE: {"schema": {"type": "string"}},
                    },
                },
            },
        }
    }
    paths["/.well-known/agent-card.json"] = {
        "get": {
            "operationId": "GetAgentCard",
            "tags": ["Agent cards"],
            "summary": "The runtime's agent card, or with `agent` the workflow's own (public, no key)",
            "security": [],
            "parameters": [{"name": "agent", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "AgentCard",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AgentCard"}}},
                }
            },
        }
    }
    schemas["JsonRpcRequest"] = {
        "type": "object",
        "required": ["jsonrpc", "id", "method", "params"],
        "properties": {
            "jsonrpc": {"const": "2.0"},
            "id": {"type": ["string", "integer"]},
            "method": {"enum": sorted(SUMMARIES)},
            "params": {"type": "object", "description": "The method's request message, with `tenant`."},
        },
        "example": {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "SendMessage",
            "params": {
                "tenant": "echo_agent",
                "message": {"messageId": "m-1", "role": "ROLE_USER", "parts": [{"text": "hello"}]},
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "agent-runtime: A2A 1.0",
            "version": "1.0",
            "description": 'The A2A door (README "A2A"): each workflow is an agent, its name A2A\'s '
            "`tenant`. Generated by tests/doors/a2a/spec/generate_openapi.py from A2A's a2a.proto "
            "(v1.0.1) and its JSON Schema.",
        },
        "servers": [{"url": "/", "description": "This server"}],
        "security": [{"apiKey": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def render() -> str:
    return json.dumps(document(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")

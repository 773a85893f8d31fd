"""The MCP door's pure shapes: a checkpoint's response schema as an elicitation form, and the HTTP
status each error travels in."""

from __future__ import annotations

from agent_runtime.errors import Conflict, NotFound, ValidationFailed
from agent_runtime.http.errors import InternalError, Unauthorized, Unavailable
from agent_runtime.mcp.errors import (
    HeaderMismatch,
    MethodNotFound,
    MissingClientCapability,
    UnsupportedProtocolVersion,
    jsonrpc_error,
)
from agent_runtime.mcp.views import form_schema
from agent_runtime.workflows.builtin.intake import Applicant
from agent_runtime.workflows.checkpoints import ApprovalResponse


def test_an_approvals_response_schema_is_a_flat_form() -> None:
    form = form_schema(ApprovalResponse.model_json_schema())
    assert form == {
        "type": "object",
        "properties": {
            "approved": {"type": "boolean", "title": "Approved"},
            "comment": {"type": "string", "maxLength": 4000, "title": "Comment"},
            "reason": {"type": "string", "maxLength": 4000, "title": "Reason"},
        },
        "required": ["approved"],
    }


def test_optional_fields_take_their_type_and_nested_ones_stay_as_they_are() -> None:
    assert form_schema(Applicant.model_json_schema())["properties"]["notes"] == {
        "type": "string",
        "maxLength": 2000,
        "title": "Notes",
    }
    nested = {"type": "object", "properties": {"address": {"$ref": "#/$defs/Address"}}}
    assert form_schema(nested) == {"type": "object", "properties": {"address": {"$ref": "#/$defs/Address"}}}


def test_each_error_travels_in_its_status_with_its_code() -> None:
    cases = [
        (ValidationFailed("bad", errors=[{"field": "params.arguments.x", "message": "m"}]), 400, -32602),
        (NotFound("no task"), 400, -32602),
        (Conflict("ended"), 400, -32602),
        (HeaderMismatch("h"), 400, -32020),
        (MissingClientCapability("c"), 400, -32021),
        (UnsupportedProtocolVersion("v", requested="2025-11-25"), 400, -32022),
        (MethodNotFound("m"), 404, -32601),
        (Unauthorized("k"), 401, -32001),
        (Unavailable("busy"), 503, -32002),
        (InternalError("x"), 500, -32603),
    ]
    for error, status, code in cases:
        got_status, body = jsonrpc_error(error, 7)
        assert (got_status, body["error"]["code"], body["id"]) == (status, code, 7), error
    _, invalid = jsonrpc_error(cases[0][0], 7)
    assert invalid["error"]["data"] == {"errors": [{"field": "params.arguments.x", "message": "m"}]}

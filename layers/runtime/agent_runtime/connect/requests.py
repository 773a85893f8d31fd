"""What a Connect request message asks for, checked before anything is read or written: the limits the
v1 door's request models hold (docs/decisions.md 71), as invalid_argument errors naming the
proto field. Protobuf can't say "required" or "at most 64 keys"; these checks do."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from agent_runtime.connect.gen import agent_runtime_pb as pb
from agent_runtime.connect.views import from_json_value
from agent_runtime.engine.checkpoints import Answer, Approve, Reject
from agent_runtime.engine.runs import RunSpec
from agent_runtime.errors import BadRequest, ValidationFailed
from agent_runtime.validation import field_errors
from agent_runtime.workflows.checkpoints import ApprovalResponse

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
METADATA_MAX_KEYS = 64
METADATA_MAX_BYTES = 16 * 1024
# Every id the runtime issues is far shorter; a longer one names nothing (and exceeds a table key).
MAX_ID_BYTES = 256
IDEMPOTENCY_HEADER = "idempotency-key"


def optional(message: Any, field: str) -> Any:
    """An `optional` field's value, or None when the client left it out (protobuf reads it as zero)."""
    return getattr(message, field) if message.has_field(field) else None


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field} is not valid", errors=[{"field": field, "message": message}])


def an_id(value: str, field: str) -> str:
    """A required id field: present, and no longer than any id the runtime issues."""
    if not value:
        raise _invalid(field, "required")
    if len(value.encode()) > MAX_ID_BYTES:
        raise _invalid(field, f"at most {MAX_ID_BYTES} bytes")
    return value


def a_limit(value: int, default: int, maximum: int) -> int:
    if value == 0:
        return default
    if not 1 <= value <= maximum:
        raise BadRequest(
            f"limit must be between 1 and {maximum}",
            errors=[{"field": "limit", "message": f"between 1 and {maximum}"}],
        )
    return value


def _struct(message: Any, field: str) -> dict[str, Any]:
    if message is None:
        return {}
    value = from_json_value(message.to_python())
    assert isinstance(value, dict)
    return value


def run_spec(request: pb.CreateRunRequest) -> RunSpec:
    """The run a CreateRunRequest asks for (the limits of v1's CreateRunRequest)."""
    workflow = request.workflow
    if workflow is None or not workflow.name:
        raise _invalid("workflow.name", "required")
    if not NAME_PATTERN.match(workflow.name):
        raise _invalid("workflow.name", f"must match {NAME_PATTERN.pattern}")
    version = optional(workflow, "version")
    if version is not None and not 0 < len(version) <= 64:
        raise _invalid("workflow.version", "1-64 characters")
    metadata = _struct(request.metadata, "metadata")
    if len(metadata) > METADATA_MAX_KEYS:
        raise _invalid("metadata", f"at most {METADATA_MAX_KEYS} keys")
    if len(json.dumps(metadata, ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
        raise _invalid("metadata", f"must serialize to at most {METADATA_MAX_BYTES} bytes")
    callback_url, schema_hash = optional(request, "callback_url"), optional(request, "schema_hash")
    if callback_url is not None and len(callback_url) > 2048:
        raise _invalid("callback_url", "at most 2048 characters")
    if schema_hash is not None and len(schema_hash) > 80:
        raise _invalid("schema_hash", "at most 80 characters")
    return RunSpec(
        workflow_name=workflow.name,
        workflow_version=version,
        input=from_json_value(request.input.to_python()) if request.input is not None else {},
        config=_struct(request.config, "config"),
        metadata=metadata,
        callback_url=callback_url,
        schema_hash=schema_hash,
    )


def as_sent(spec: RunSpec) -> dict[str, Any]:
    """The request an idempotency key is checked against, in v1's field names: the same key with the
    same run asked for replays whichever of the two doors it was first sent to."""
    workflow: dict[str, Any] = {"name": spec.workflow_name}
    if spec.workflow_version is not None:
        workflow["version"] = spec.workflow_version
    sent: dict[str, Any] = {"workflow": workflow, "input": spec.input}
    if spec.config:
        sent["config"] = dict(spec.config)
    if spec.metadata:
        sent["metadata"] = dict(spec.metadata)
    if spec.callback_url is not None:
        sent["callback_url"] = spec.callback_url
    if spec.schema_hash is not None:
        sent["schema_hash"] = spec.schema_hash
    return sent


def idempotency_key(request: pb.CreateRunRequest, headers: Mapping[str, str]) -> str | None:
    """The field, else v1's Idempotency-Key header; both, differing, is a mistake worth refusing."""
    header, field = headers.get(IDEMPOTENCY_HEADER), optional(request, "idempotency_key")
    if field is not None and header is not None and header != field:
        raise _invalid("idempotency_key", "differs from the Idempotency-Key header")
    return field if field is not None else header


def approval_answer(data: dict[str, Any]) -> Answer:
    """SubmitInput to an approval checkpoint: `data` is the decision its response_schema describes."""
    try:
        decision = ApprovalResponse.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed("data is not a decision", errors=field_errors(error, "data")) from error
    return Approve(decision.comment) if decision.approved else Reject(decision.reason)


def struct_data(request: pb.SubmitInputRequest) -> dict[str, Any]:
    return _struct(request.data, "data")

"""A message's parts as the JSON a workflow (or a checkpoint) takes: a data part holding an object,
or text, fitted to the schema; and an approval decision read from parts."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from agent_runtime.a2a.errors import ContentTypeNotSupported, InvalidParams
from agent_runtime.a2a.models import Part
from agent_runtime.engine.checkpoints import Approve, Reject
from agent_runtime.validation import field_errors
from agent_runtime.workflows.checkpoints import ApprovalResponse


def _check_kinds(parts: list[Part], where: str) -> None:
    """Each part is one of text, raw, url, data; files (raw, url) are not taken."""
    for index, part in enumerate(parts):
        if part.kind() == "invalid":
            raise InvalidParams(
                "a part holds exactly one of text, raw, url or data",
                errors=[{"field": f"{where}[{index}]", "message": "exactly one of text, raw, url, data"}],
            )
        if part.kind() in {"raw", "url"}:
            raise ContentTypeNotSupported(
                "this agent takes text and data parts (files are its outputs, as artifacts)",
                errors=[{"field": f"{where}[{index}]", "message": "send text or data"}],
            )


def _data_object(parts: list[Part], where: str) -> tuple[dict[str, Any], str] | None:
    """The one data part's object and its field path, or None when there is no data part."""
    data = [(i, p) for i, p in enumerate(parts) if p.kind() == "data"]
    if len(data) > 1:
        raise InvalidParams(
            "send one data part (the object the workflow takes)",
            errors=[{"field": where, "message": f"{len(data)} data parts"}],
        )
    if not data:
        return None
    index, part = data[0]
    if not isinstance(part.data, dict):
        raise InvalidParams(
            "the data part must hold a JSON object",
            errors=[{"field": f"{where}[{index}].data", "message": "expected an object"}],
        )
    return part.data, f"{where}[{index}].data"


def _text_object(model: type[BaseModel] | None, text: str, where: str) -> dict[str, Any]:
    """Text as the schema's object: a human message when it takes `messages`, its only string field,
    or the text parsed when it is a JSON object."""
    schema = model.model_json_schema() if model is not None else {}
    properties: dict[str, Any] = schema.get("properties") or {}
    if "messages" in properties:
        return {"messages": [{"type": "human", "content": text}]}
    strings = [k for k, v in properties.items() if isinstance(v, dict) and v.get("type") == "string"]
    required = [k for k in schema.get("required") or [] if k in properties]
    if len(strings) == 1 and set(required) <= set(strings):
        return {strings[0]: text}
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    wanted = ", ".join(sorted(properties)) or "an object"
    raise InvalidParams(
        f"these parts don't fit the expected schema (fields: {wanted}): send a data part with an object",
        errors=[{"field": where, "message": f"expected a data part with {wanted}"}],
    )


def object_from_parts(model: type[BaseModel] | None, parts: list[Part], where: str) -> tuple[Any, str]:
    """The JSON object a message's parts stand for, and the field path of where it came from."""
    _check_kinds(parts, where)
    found = _data_object(parts, where)
    if found is not None:
        return found
    return _text_object(model, "\n".join(p.text or "" for p in parts), where), where


def _decision(value: Any) -> Approve | Reject:
    if isinstance(value, dict) and "decision" in value and "approved" not in value:
        value = {
            **{k: v for k, v in value.items() if k != "decision"},
            "approved": value["decision"] in {"approve", "approved"},
        }
    try:
        decision = ApprovalResponse.model_validate(value)
    except ValidationError as error:
        raise InvalidParams(
            "the answer does not match the checkpoint's response schema",
            errors=field_errors(error, "message.parts.data"),
        ) from error
    return Approve(decision.comment) if decision.approved else Reject(decision.reason)


def approval(parts: list[Part]) -> Approve | Reject:
    """An approval decision: a data part matching the response schema, or the text approve/reject."""
    _check_kinds(parts, "message.parts")
    data = [p.data for p in parts if p.kind() == "data"]
    if data:
        return _decision(data[0])
    text = " ".join(p.text or "" for p in parts if p.kind() == "text").strip()
    word, _, rest = text.partition(":")
    if word.strip().lower() in {"approve", "approved", "yes"}:
        return Approve(rest.strip() or None)
    if word.strip().lower() in {"reject", "rejected", "no"}:
        return Reject(rest.strip() or None)
    raise InvalidParams(
        'answer an approval with a data part {"approved": true|false, "comment"?, "reason"?} '
        "or the text approve / reject[: reason]",
        errors=[{"field": "message.parts", "message": "an approval decision"}],
    )

"""pydantic validation errors -> field-level problem details."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from agent_runtime.errors import ValidationFailed


def field_errors(error: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    out = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        out.append({"field": path or prefix or "body", "message": item["msg"], "type": item["type"]})
    return out


def validate_against(model: type[BaseModel], value: Any, field: str) -> BaseModel:
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise ValidationFailed(
            f"{field} does not match the workflow's {field} schema", errors=field_errors(error, field)
        ) from error

"""Plain values <-> DynamoDB attribute values. Items hold strings, numbers, booleans and nulls only;
JSON documents are stored as strings, so floats and nesting never meet DynamoDB's type rules."""

from __future__ import annotations

from typing import Any


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"unsupported item value {type(value).__name__}")


def from_attr(attr: dict[str, Any]) -> Any:
    if "S" in attr:
        return attr["S"]
    if "N" in attr:
        return int(attr["N"])
    if "BOOL" in attr:
        return attr["BOOL"]
    if "NULL" in attr:
        return None
    raise TypeError(f"unsupported attribute {sorted(attr)}")


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: to_attr(v) for k, v in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}

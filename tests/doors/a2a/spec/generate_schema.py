"""Regenerate a2a-v1.0.schema.json from A2A's normative proto (not run by the tests).

A2A 1.0 publishes its JSON Schema only as a docs-site build artifact (specification/json/README.md in
a2aproject/A2A: "intentionally not committed to source control"), so this repository keeps its own
copy, made from the proto at the tag it pins (a2a.proto next to this file) with the ProtoJSON mapping
the spec requires (section 5.5: camelCase names, enums as their names, 64-bit integers as strings,
Struct/Value as JSON, Timestamp as an RFC 3339 string, `bytes` as base64; fields marked
`google.api.field_behavior = REQUIRED` are required; a `oneof` allows at most one of its members).

    python -m venv /tmp/gen && /tmp/gen/bin/pip install grpcio-tools googleapis-common-protos
    /tmp/gen/bin/python tests/doors/a2a/spec/generate_schema.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROTO = HERE / "a2a.proto"
OUT = HERE / "a2a-v1.0.schema.json"
SOURCE = {
    "repository": "https://github.com/a2aproject/A2A",
    "tag": "v1.0.1",
    "commit": "3303592588e388e62e0f69f701af531d2f4e3991",
    "path": "specification/a2a.proto",
}


def descriptors() -> Any:
    import grpc_tools
    from google.api import annotations_pb2
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a2a.pb"
        includes = [
            f"-I{HERE}",
            f"-I{Path(grpc_tools.__file__).parent / '_proto'}",
            f"-I{Path(annotations_pb2.__file__).parents[2]}",
        ]
        code = protoc.main(
            ["protoc", *includes, "--include_imports", f"--descriptor_set_out={out}", "a2a.proto"]
        )
        if code:
            raise SystemExit(f"protoc failed: {code}")
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return files


REQUIRED = 2  # google.api.FieldBehavior.REQUIRED
WELL_KNOWN: dict[str, dict[str, Any]] = {
    ".google.protobuf.Struct": {"type": "object"},
    ".google.protobuf.Value": {},
    ".google.protobuf.ListValue": {"type": "array"},
    ".google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    ".google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
}
SCALARS: dict[int, dict[str, Any]] = {
    1: {"type": "number"},  # double
    2: {"type": "number"},  # float
    3: {"type": "string", "pattern": "^-?[0-9]+$"},  # int64
    4: {"type": "string", "pattern": "^[0-9]+$"},  # uint64
    5: {"type": "integer"},  # int32
    8: {"type": "boolean"},
    9: {"type": "string"},
    12: {"type": "string", "contentEncoding": "base64"},  # bytes
    13: {"type": "integer", "minimum": 0},  # uint32
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def build() -> dict[str, Any]:
    from google.api import field_behavior_pb2

    files = descriptors()
    messages: dict[str, Any] = {}
    enums: dict[str, Any] = {}

    def collect(prefix: str, items: Any, nested_enums: Any) -> None:
        for enum in nested_enums:
            enums[f"{prefix}.{enum.name}"] = enum
        for message in items:
            full = f"{prefix}.{message.name}"
            messages[full] = message
            collect(full, message.nested_type, message.enum_type)

    for file in files.file:
        collect(f".{file.package}", file.message_type, file.enum_type)

    a2a = {k: v for k, v in messages.items() if k.startswith(".lf.a2a.v1.")}
    defs: dict[str, Any] = {}

    def ref(type_name: str) -> dict[str, Any]:
        if type_name in WELL_KNOWN:
            return dict(WELL_KNOWN[type_name])
        if type_name in enums:
            enum = enums[type_name]
            return {"enum": [v.name for v in enum.value]}
        return {"$ref": f"#/$defs/{type_name.rsplit('.', 1)[1]}"}

    def field_schema(field: Any) -> dict[str, Any]:
        if field.type == 11:  # message
            entry = messages.get(field.type_name)
            if entry is not None and entry.options.map_entry:
                value = next(f for f in entry.field if f.name == "value")
                return {"type": "object", "additionalProperties": field_schema(value)}
            schema = ref(field.type_name)
        elif field.type == 14:  # enum
            schema = ref(field.type_name)
        else:
            schema = dict(SCALARS[field.type])
        if field.label == 3:  # repeated
            return {"type": "array", "items": schema}
        return schema

    for full, message in a2a.items():
        if message.options.map_entry:
            continue
        properties: dict[str, Any] = {}
        required: list[str] = []
        oneofs: dict[int, list[str]] = {}
        for field in message.field:
            name = field.json_name or camel(field.name)
            schema = field_schema(field)
            properties[name] = schema
            behaviors = field.options.Extensions[field_behavior_pb2.field_behavior]
            if REQUIRED in behaviors:
                required.append(name)
            if field.HasField("oneof_index") and not field.proto3_optional:
                oneofs.setdefault(field.oneof_index, []).append(name)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = required
        if oneofs:
            schema["allOf"] = [
                {"not": {"anyOf": [{"required": [a, b]} for i, a in enumerate(m) for b in m[i + 1 :]]}}
                for m in oneofs.values()
                if len(m) > 1
            ]
            if not schema["allOf"]:
                del schema["allOf"]
        defs[full.rsplit(".", 1)[1]] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "agent-runtime/tests/doors/a2a/spec/a2a-v1.0.schema.json",
        "title": "A2A 1.0 (ProtoJSON of lf.a2a.v1)",
        "description": "Generated by generate_schema.py from A2A's specification/a2a.proto; see README.md.",
        "x-source": SOURCE,
        "$defs": dict(sorted(defs.items())),
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=1) + "\n")
    sys.stdout.write(f"wrote {OUT}\n")

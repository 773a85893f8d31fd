"""openapi/a2a-1.0.json, the A2A door as OpenAPI for the docs page, is what
tests/doors/a2a/spec/generate_openapi.py makes of A2A's proto and JSON Schema, a valid OpenAPI 3.1
document with every rpc of the proto, and the local stack serves it."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from openapi_spec_validator import validate

from tests.doors.a2a.spec import generate_openapi


def test_the_committed_document_is_the_generated_one() -> None:
    committed = generate_openapi.TARGET.read_text(encoding="utf-8")
    assert committed == generate_openapi.render(), "run tests/doors/a2a/spec/generate_openapi.py"
    document = json.loads(committed)
    validate(document)
    rpcs = re.findall(r"^\s*rpc (\w+)\(", (generate_openapi.HERE / "a2a.proto").read_text(), re.MULTILINE)
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert set(rpcs) <= operations and len(rpcs) == 11


@pytest.mark.e2e
def test_the_local_stack_serves_it(base_url: str) -> None:
    served = httpx.get(f"{base_url}/docs/openapi/a2a.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    assert served.json() == json.loads(generate_openapi.TARGET.read_text(encoding="utf-8"))

"""Property-based conformance: schemathesis generates requests from the spec and checks the local
stack's answers against it (no 5xx; documented status, content type and body)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.doors.v1.test_openapi import SPEC_PATH

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 25, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)
# Status (every one documented, 429 and 503 included), required headers, content type, body.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_headers_conformance,
    content_type_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.e2e

# Bounded and reproducible: 25 generated examples per operation (plus the spec's own examples and
# schemathesis' coverage cases), derandomized, no example database, no stateful phase.
schema = schemathesis.openapi.from_path(str(SPEC_PATH), config=CONFIG)


@schema.parametrize()
# The API key (and its tenant) is per test, shared by that operation's examples: that is intended.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_spec(case: schemathesis.Case, base_url: str, api_key: str) -> None:
    case.call_and_validate(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, checks=CHECKS)


def test_every_manifest_route_is_generated() -> None:
    """schemathesis parametrizes every operation: none is skipped for a spec it cannot read."""
    from functions import manifest
    from tests.doors.acp.acp_spec import acp_operations

    generated = {result.ok().label for result in schema.get_all_operations()}
    acp = {f"{method} {path}" for method, path, _ in acp_operations().values()}  # tests/doors/acp/test_acp.py
    # A2A's routes and ACP's seed-document aliases have contracts of their own (tests/doors/a2a,
    # test_acp_fixes).
    elsewhere = manifest.routes_with_other_contracts()
    routed = {f"{route.method} {route.path}" for route, _ in manifest.routes() if route not in elsewhere}
    assert generated | acp == routed
    assert generated & acp == set()

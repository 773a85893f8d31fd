"""Property-based ACP conformance: schemathesis generates requests from the ACP 0.2.3 spec and checks
the local stack's answers (no 5xx; documented status and body), bounded and deterministic.

Deviations the checks accept (see tests/doors/acp/test_acp.py): 401 is never sent here (the requests
are authenticated), and `?block_timeout=` (the 204 of the wait endpoints) is not in the spec, so
schemathesis never asks for it."""

from __future__ import annotations

from typing import Any

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

from agent_runtime.acp.agents import agent_id
from agent_runtime.workflows.builtin.echo_agent import echo_agent
from tests.doors.acp.acp_spec import ACP_SPEC_PATH

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 12, "deterministic": True, "database": "none"},
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

schema = schemathesis.openapi.from_path(str(ACP_SPEC_PATH), config=CONFIG)
ECHO_AGENT = agent_id(echo_agent)


@schema.hook
def map_body(ctx: Any, body: Any) -> Any:
    """Run requests name a real agent (random ones only ever get 404), so the generated inputs,
    configs, stream modes and webhooks reach the run creation itself."""
    if isinstance(body, dict) and "agent_id" in body:
        return {**body, "agent_id": ECHO_AGENT}
    return body


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_acp_conforms_to_its_spec(case: schemathesis.Case, base_url: str, api_key: str) -> None:
    case.call_and_validate(base_url=base_url, headers={"x-api-key": api_key}, checks=CHECKS)


def test_every_acp_operation_is_generated() -> None:
    from functions import manifest

    generated = {result.ok().label for result in schema.get_all_operations()}
    assert generated == {f"{method} {path}" for _, _, method, path in manifest.ACP_OPERATIONS}

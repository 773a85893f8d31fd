"""Every operation of both OpenAPI documents we serve (v1 and ACP 0.2.3) documents the 429 a throttled
tenant gets, with its Retry-After header: schemathesis generates one request per operation and sends
it twice, as a fresh tenant whose bucket holds one request (the local gateway throttles as `agent-runtime
dev` does, at a rate no test outlives), and checks both answers against the document: status, headers,
content type and body."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agent_runtime_local.cloud import Resources
from agent_runtime_local.gateway import create_app
from functions import manifest
from tests.doors.acp.acp_spec import ACP_SPEC_PATH
from tests.doors.v1.test_openapi import SPEC_PATH

pytestmark = pytest.mark.e2e

# One generated request per operation, nothing else: the second sending of it is the 429.
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 1, "deterministic": True, "database": "none"},
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
    }
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_headers_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ONE_REQUEST = manifest.Throttle(rate_per_second=0.001, burst=1)  # a token per ~17 minutes

v1 = schemathesis.openapi.from_path(str(SPEC_PATH), config=CONFIG)
acp = schemathesis.openapi.from_path(str(ACP_SPEC_PATH), config=CONFIG)


@contextmanager
def throttled_gateway(throttle: manifest.Throttle) -> Iterator[str]:
    """The local gateway on a free 127.0.0.1 port, each tenant throttled to `throttle`."""
    app = create_app(tenant_throttle=throttle)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "throttled gateway did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def throttled_url(cloud: Resources) -> Iterator[str]:
    with throttled_gateway(ONE_REQUEST) as url:
        yield url


def twice(case: schemathesis.Case, url: str, headers: dict[str, str]) -> None:
    statuses: list[int] = []
    for _ in range(2):
        response = case.call(base_url=url, headers=headers)
        case.validate_response(response, checks=CHECKS)
        statuses.append(response.status_code)
    assert statuses[-1] == 429, statuses  # the tenant's one token was spent by the first


@v1.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=1)
def test_v1_documents_every_status_it_answers_when_throttled(
    case: schemathesis.Case, throttled_url: str, api_key: str
) -> None:
    twice(case, throttled_url, {"Authorization": f"Bearer {api_key}"})


@acp.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=1)
def test_acp_documents_every_status_it_answers_when_throttled(
    case: schemathesis.Case, throttled_url: str, api_key: str
) -> None:
    twice(case, throttled_url, {"x-api-key": api_key})


def test_retry_after_is_required_on_every_429_and_503() -> None:
    """The documents say so (the checks above hold the 429 to it)."""
    for document in (v1.raw_schema, acp.raw_schema):
        responses: dict[str, Any] = document["components"]["responses"]
        for name in ("TooManyRequests", "ServiceUnavailable"):
            header = responses[name]["headers"]["Retry-After"]
            assert document["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]["required"] is True

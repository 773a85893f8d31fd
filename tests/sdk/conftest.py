"""The SDK's tests drive the local stack over real HTTP on loopback: the e2e fixtures' gateway
(`base_url`) and a key of the test's own tenant (`api_key`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent_runtime_client import Client, RetryPolicy

# Short backoffs keep retried tests fast; the policy's rules are the same.
FAST_RETRY = RetryPolicy(max_retries=3, backoff_base=0.05, backoff_cap=0.2)
ARTICLE = {"title": "SDK tests", "points": ["typed models", "streams that resume"], "reviewer": "ana"}
DOCUMENT = "# SDK tests\n\n- typed models\n- streams that resume\n"


@pytest.fixture
def client(base_url: str, api_key: str) -> Iterator[Client]:
    with Client(base_url, api_key, retry=FAST_RETRY) as sdk:
        yield sdk

"""The contract tests drive the local stack over real HTTP: reuse the e2e fixtures."""

from tests.e2e.conftest import api_key, base_url, http  # noqa: F401

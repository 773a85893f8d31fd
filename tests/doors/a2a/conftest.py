"""A2A tests reuse the end-to-end fixtures: the local stack's gateway on 127.0.0.1 and a tenant's key."""

from tests.e2e.conftest import api_key, base_url, http

__all__ = ["api_key", "base_url", "http"]

"""Faults seen over real HTTP (test_faults_http.py) go through the local stack's gateway on 127.0.0.1:
the fixtures of tests/e2e/conftest.py."""

from tests.e2e.conftest import api_key, base_url, http

__all__ = ["api_key", "base_url", "http"]

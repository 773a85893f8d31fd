"""The operator CLI against the local cloud's table."""

from __future__ import annotations

from typer.testing import CliRunner

from agent_runtime.auth import authenticate
from agent_runtime.cli import app
from agent_runtime.local.cloud import Resources


def test_api_key_create_prints_a_key_that_authenticates_as_the_tenant(cloud: Resources) -> None:
    result = CliRunner().invoke(app, ["api-key", "create", "--tenant", "cli-tenant", "--principal", "ops"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("ar_")
    assert authenticate(key) == ("cli-tenant", "ops")

"""The operator CLI against the local cloud's table."""

from __future__ import annotations

from typer.testing import CliRunner

from agent_runtime.engine import Engine
from agent_runtime.store.api_key_items import ApiKeyRecord
from agent_runtime_local.cli import app
from agent_runtime_local.cloud import Resources


def test_api_key_create_prints_a_key_that_authenticates_as_the_tenant(cloud: Resources) -> None:
    result = CliRunner().invoke(app, ["api-key", "create", "--tenant", "cli-tenant", "--principal", "ops"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("ar_")
    assert Engine.default().api_keys.authenticate(key) == ApiKeyRecord("cli-tenant", "ops")

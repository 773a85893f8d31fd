"""Per-tenant throttling in the cloud (docs/decisions.md 62): issuing a tenant's key puts the tenant's
usage key in the stack's usage plan (moto's API Gateway), and the authorizer names that key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent_runtime import aws
from agent_runtime.config import settings
from agent_runtime.engine import Engine
from agent_runtime.engine.api_keys import usage_key
from agent_runtime.store.api_key_items import ApiKeyRecord
from agent_runtime_local.cli import app
from agent_runtime_local.cloud import Resources
from agent_runtime_local.lambda_bridge import LocalLambdaContext, resolve_handler
from functions import manifest

EVENTS = Path(__file__).resolve().parents[2] / "events"


def plan_keys(plan_id: str) -> dict[str, str]:
    """The usage plan's keys: name (tenant) -> value."""
    items = aws.apigateway().get_usage_plan_keys(usagePlanId=plan_id)["items"]
    return {item["name"]: item["value"] for item in items}


@pytest.fixture
def usage_plan(cloud: Resources, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    plan_id: str = aws.apigateway().create_usage_plan(
        name=f"tenants-{uuid.uuid4().hex[:8]}", throttle={"rateLimit": 20.0, "burstLimit": 40}
    )["id"]
    monkeypatch.setenv("USAGE_PLAN_ID", plan_id)
    settings.cache_clear()
    yield plan_id
    monkeypatch.undo()
    settings.cache_clear()


def authorize(key: str) -> dict[str, Any]:
    authorizer = resolve_handler(manifest.by_name(manifest.AUTHORIZER))
    event: dict[str, Any] = json.loads((EVENTS / "apigw-authorizer-request.json").read_text())
    event["headers"] = {"Authorization": f"Bearer {key}"}
    answer: dict[str, Any] = authorizer(event, LocalLambdaContext(manifest.by_name(manifest.AUTHORIZER)))
    return answer


def test_each_tenant_gets_one_usage_key_in_the_plan_and_the_authorizer_names_it(usage_plan: str) -> None:
    first, second = (f"t-{uuid.uuid4().hex[:12]}" for _ in range(2))
    keys = Engine.default().api_keys
    first_key = keys.create(first)
    second_key = keys.create(second)
    keys.create(first)  # a second key of the same tenant: the same usage key, nothing new
    assert plan_keys(usage_plan) == {first: usage_key(first), second: usage_key(second)}
    assert usage_key(first) != usage_key(second) and 20 <= len(usage_key(first)) <= 128
    for tenant, key in ((first, first_key), (second, second_key)):
        answer = authorize(key)
        assert answer["context"]["tenant_id"] == tenant
        assert answer["usageIdentifierKey"] == usage_key(tenant)


def test_without_a_usage_plan_issuing_a_key_touches_no_api_gateway(cloud: Resources, tenant: str) -> None:
    assert not settings().usage_plan_id
    before = aws.apigateway().get_api_keys(nameQuery=tenant)["items"]
    Engine.default().api_keys.create(tenant)
    assert aws.apigateway().get_api_keys(nameQuery=tenant)["items"] == before == []


def test_sync_usage_plan_backfills_tenants_whose_keys_predate_the_plan(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tenant whose key was issued before there was a usage plan
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    key = Engine.default().api_keys.create(tenant)
    plan_id = aws.apigateway().create_usage_plan(name=f"later-{uuid.uuid4().hex[:8]}")["id"]
    # and one whose API key exists already, outside the plan (a sync interrupted half-way)
    half = f"t-{uuid.uuid4().hex[:12]}"
    Engine.default().api_keys.create(half)
    aws.apigateway().create_api_key(name=half, value=usage_key(half), enabled=True)
    # When the operator syncs, twice
    monkeypatch.setenv("USAGE_PLAN_ID", plan_id)
    try:
        runs = [CliRunner().invoke(app, ["api-key", "sync-usage-plan", "--json"]) for _ in range(2)]
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    # Then both are in the plan, added by the first sync only; the key still authenticates
    assert [r.exit_code for r in runs] == [0, 0], [r.output for r in runs]
    added = [json.loads(r.stdout)["added"] for r in runs]
    assert {tenant, half} <= set(added[0]) and added[1] == []
    keys = plan_keys(plan_id)
    assert (keys[tenant], keys[half]) == (usage_key(tenant), usage_key(half))
    assert Engine.default().api_keys.authenticate(key) == ApiKeyRecord(tenant, f"key:{tenant}")

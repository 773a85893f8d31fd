"""Model cost in the ledger: a model call's tokens, counted per model id in the run's `usage`, priced in
`estimated_cost_usd` and summed by GET /v1/usage; concurrent calls never lose each other's counts, and
the run's own commits never overwrite them."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from agent_runtime.engine import Engine, prices, usage
from agent_runtime.errors import NotFound
from agent_runtime.models import Message, ModelRequest, Usage
from agent_runtime.models.scripted import ScriptedProvider
from tests.conftest import Api
from tests.doors.v1.test_checkpoints import DOC_INPUT

NOVA = "bedrock:us.amazon.nova-lite-v1:0"  # an inference profile: priced as the model
UNLISTED = "openai:some-local-llama"


def test_model_tokens_are_counted_per_model_and_priced(api: Api) -> None:
    run_id = api.create("echo", {"x": 1}).json()["run_id"]
    before = api.wait(run_id)
    engine = Engine.default()
    usage.record_model_usage(
        engine, run_id, NOVA, Usage(input_tokens=1000, output_tokens=200, cached_tokens=4000)
    )
    usage.record_model_usage(engine, run_id, NOVA, Usage(input_tokens=500, output_tokens=100))
    usage.record_model_usage(engine, run_id, UNLISTED, Usage(input_tokens=7, output_tokens=3))
    scripted = ScriptedProvider().complete(ModelRequest(messages=[Message.of("user", "hello")]))
    usage.record_model_usage(engine, run_id, scripted.model_id, scripted.usage)

    run = api("GET", f"/v1/runs/{run_id}").json()
    models = run["usage"]["models"]
    nova_usd = (1500 * 0.06 + 300 * 0.24 + 4000 * 0.015) / 1e6
    assert models[NOVA] == {
        "calls": 2,
        "input_tokens": 1500,
        "output_tokens": 300,
        "cached_tokens": 4000,
        "cache_write_tokens": 0,
        "estimated_cost_usd": pytest.approx(nova_usd, abs=1e-9),
    }
    assert models[UNLISTED]["calls"] == 1 and models[UNLISTED]["estimated_cost_usd"] is None
    assert models["scripted"]["input_tokens"] == 1 and models["scripted"]["estimated_cost_usd"] == 0
    # The run's cost is its AWS cost plus its priced models' (the unlisted one adds nothing).
    assert run["estimated_cost_usd"] == pytest.approx(before["estimated_cost_usd"] + nova_usd, abs=1e-8)


def test_concurrent_calls_lose_no_counts(api: Api) -> None:
    run_id = api.create("echo", {"x": 1}).json()["run_id"]
    api.wait(run_id)
    engine = Engine.default()
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda n: usage.record_model_usage(
                    engine, run_id, NOVA if n % 2 else "scripted", Usage(input_tokens=10, output_tokens=1)
                ),
                range(16),
            )
        )
    models = api("GET", f"/v1/runs/{run_id}").json()["usage"]["models"]
    assert models[NOVA]["calls"] == models["scripted"]["calls"] == 8
    assert models[NOVA]["input_tokens"] == 80


def test_commits_after_a_model_call_keep_its_counts(api: Api) -> None:
    run_id = api.create("approval", DOC_INPUT).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    usage.record_model_usage(Engine.default(), run_id, NOVA, Usage(input_tokens=42, output_tokens=8))
    assert api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={}).status == 200
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert run["usage"]["models"][NOVA]["input_tokens"] == 42


def test_an_unknown_run_is_not_found_and_nothing_is_written(api: Api) -> None:
    engine = Engine.default()
    with pytest.raises(NotFound):
        usage.record_model_usage(engine, "r-does-not-exist", NOVA, Usage(input_tokens=1))
    assert engine.store.table.get({"PK": "RUN#r-does-not-exist", "SK": "META"}) is None


def test_usage_summary_sums_models_across_runs(api: Api) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    engine = Engine.default()
    costs = []
    for n in range(2):
        run_id = api.create("echo", {"n": n}).json()["run_id"]
        api.wait(run_id)
        usage.record_model_usage(engine, run_id, NOVA, Usage(input_tokens=100, output_tokens=10))
        costs.append(api("GET", f"/v1/runs/{run_id}").json()["estimated_cost_usd"])
    end = datetime.now(UTC) + timedelta(seconds=1)
    summary = api("GET", "/v1/usage", query={"from": start.isoformat(), "to": end.isoformat()}).json()
    assert summary["runs"] == 2
    assert summary["usage"]["models"][NOVA]["calls"] == 2
    assert summary["usage"]["models"][NOVA]["input_tokens"] == 200
    # Each run's cost holds its model's; the sum is the runs' sum (each rounded to 1e-9).
    assert summary["estimated_cost_usd"] == pytest.approx(sum(costs), abs=1e-8)
    assert sum(costs) > 2 * (100 * 0.06 + 10 * 0.24) / 1e6


def test_inference_profiles_and_unlisted_models_price_as_documented() -> None:
    assert prices.model_price("bedrock:eu.anthropic.claude-sonnet-4-20250514-v1:0") == prices.model_price(
        "bedrock:anthropic.claude-sonnet-4-20250514-v1:0"
    )
    assert prices.model_price("bedrock:mystery.model-v9") is None
    assert usage.model_cost(
        "openai:gpt-4o-mini", {"input_tokens": 1_000_000, "cached_tokens": 1_000_000}
    ) == (pytest.approx(0.15 + 0.075))


def test_the_update_counts_its_own_units_on_the_runs_next_commit(api: Api) -> None:
    from agent_runtime.store import usage_meter

    run_id = api.create("echo", {"x": 1}).json()["run_id"]
    api.wait(run_id)
    meter = usage_meter.Meter(run_id, 512, {})
    usage.record_model_usage(Engine.default(meter=meter), run_id, NOVA, Usage(input_tokens=1))
    assert meter.counts["read_units"] >= 1 and meter.counts["write_units"] >= 1
    # Another run's meter counts nothing of it.
    other = usage_meter.Meter(str(uuid.uuid4()), 512, {})
    usage.record_model_usage(Engine.default(meter=other), run_id, NOVA, Usage(input_tokens=1))
    assert other.counts == {}

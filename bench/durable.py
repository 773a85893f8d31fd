"""Durable code at agent scale, on the local stack (`make dev`'s: moto executing the real state machine,
real HTTP on 127.0.0.1):

1. An agent loop of 1,000 steps with a human checkpoint at step 500: wall time to the question, to the
   end after the answer, and how many steps ran more than once (counted by their side effects: 0 is
   the goal).
2. A run of 10,000 operations: wall time; Step Functions transitions, Lambda invocations, DynamoDB
   write and read units per operation (the run's own usage counters); and the cost per million
   operations excluding compute (Lambda), at the dated prices of engine/prices.py, next to what a
   transaction per operation would cost.

Writes bench/reports/durable.md. Run: .venv/bin/python bench/durable.py [--ops N] (one run on a noisy
2-core machine: ratios and counts are the figures, seconds are indicative).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.local_stack import serve

REPORT = Path(__file__).parent / "reports" / "durable.md"
DEADLINE_SECONDS = 900


def _wait(http: httpx.Client, run_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        time.sleep(0.1)
    raise TimeoutError(f"run {run_id} did not reach {statuses}")


def loop_with_a_question(http: httpx.Client, steps: int, ask_at: int) -> dict[str, Any]:
    from bench.durable_workflows import EXECUTED

    started = time.perf_counter()
    body = {"workflow": {"name": "bench_loop"}, "input": {"steps": steps, "ask_at": ask_at}}
    run_id = http.post("/v1/runs", json=body).json()["run_id"]
    _wait(http, run_id, {"waiting_for_input"})
    asked = time.perf_counter() - started
    [checkpoint] = http.get(f"/v1/runs/{run_id}/checkpoints").json()["data"]
    answered_at = time.perf_counter()
    http.post(
        f"/v1/runs/{run_id}/checkpoints/{checkpoint['checkpoint_id']}/approve", json={"comment": "go on"}
    )
    run = _wait(http, run_id, {"succeeded", "failed"})
    resumed = time.perf_counter() - answered_at
    executions = [EXECUTED[(run_id, i)] for i in range(steps)]
    return {
        "status": run["status"],
        "steps": steps,
        "ask_at": ask_at,
        "seconds_to_question": asked,
        "seconds_after_answer": resumed,
        "steps_run_more_than_once": sum(1 for n in executions if n > 1),
        "steps_never_run": sum(1 for n in executions if n == 0),
        "usage": run["usage"],
    }


def many_operations(http: httpx.Client, steps: int) -> dict[str, Any]:
    from agent_runtime.engine import prices

    started = time.perf_counter()
    body = {"workflow": {"name": "bench_loop"}, "input": {"steps": steps}}
    run_id = http.post("/v1/runs", json=body).json()["run_id"]
    run = _wait(http, run_id, {"succeeded", "failed"})
    seconds = time.perf_counter() - started
    usage = run["usage"]
    operations = usage["operations"]
    excluding_compute = (
        usage["transitions"] * prices.SFN_STANDARD_TRANSITION
        + usage["write_units"] * prices.DYNAMODB_WRITE_UNIT
        + usage["read_units"] * prices.DYNAMODB_READ_UNIT
        + usage["bytes_stored"] / prices.GB * prices.DYNAMODB_GB_MONTH
    )
    # The alternative: a TransactWriteItems per operation update (the run item and the operation, 2 write
    # units each inside a transaction), with this run's updates per operation (a step: start, succeed).
    per_op_transaction = 2 * 2 * prices.DYNAMODB_WRITE_UNIT * 1e6 * 2
    return {
        "status": run["status"],
        "steps": steps,
        "operations": operations,
        "seconds": seconds,
        "operations_per_second": operations / seconds,
        "usage": usage,
        "per_operation": {
            k: usage[k] / operations
            for k in ("transitions", "lambda_invocations", "write_units", "read_units", "bytes_stored")
        },
        "usd_per_million_operations_excluding_compute": excluding_compute / operations * 1e6,
        "usd_per_million_with_a_transaction_per_operation": per_op_transaction,
    }


def model_calls(http: httpx.Client, runs: int, calls: int) -> dict[str, Any]:
    """`runs` runs at once, each making `calls` model calls: calls per second across runs, and what a
    call costs besides the model's own price."""
    from concurrent.futures import ThreadPoolExecutor

    from agent_runtime.engine import prices

    started = time.perf_counter()
    body = {"workflow": {"name": "bench_chat"}, "input": {"calls": calls}}
    run_ids = [http.post("/v1/runs", json=body).json()["run_id"] for _ in range(runs)]
    with ThreadPoolExecutor(runs) as pool:
        done = list(pool.map(lambda run_id: _wait(http, run_id, {"succeeded", "failed"}), run_ids))
    seconds = time.perf_counter() - started
    total = runs * calls
    usage = {
        k: sum(run["usage"][k] for run in done)
        for k in ("transitions", "write_units", "read_units", "bytes_stored")
    }
    excluding_model = (
        usage["transitions"] * prices.SFN_STANDARD_TRANSITION
        + usage["write_units"] * prices.DYNAMODB_WRITE_UNIT
        + usage["read_units"] * prices.DYNAMODB_READ_UNIT
        + usage["bytes_stored"] / prices.GB * prices.DYNAMODB_GB_MONTH
    )
    return {
        "runs": runs,
        "calls": total,
        "statuses": sorted({run["status"] for run in done}),
        "calls_per_second": total / seconds,
        "usd_per_million_calls_excluding_model_and_compute": excluding_model / total * 1e6,
        "write_units_per_call": usage["write_units"] / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", type=int, default=1000)
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--model-runs", type=int, default=4)
    parser.add_argument("--model-calls", type=int, default=100)
    args = parser.parse_args()
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    environment = {"AGENT_RUNTIME_WORKFLOW_MODULES": "bench.durable_workflows"}
    import os

    os.environ.update(environment)
    with LocalCloud(environment=environment), httpx.Client(base_url=serve(create_app()), timeout=120) as http:
        loop = loop_with_a_question(http, args.loop, args.loop // 2)
        many = many_operations(http, args.ops)
        models = model_calls(http, args.model_runs, args.model_calls)
    write(loop, many, models)


def write(loop: dict[str, Any], many: dict[str, Any], models: dict[str, Any]) -> None:
    per = many["per_operation"]
    lines = [
        "# Durable code at agent scale",
        "",
        f"{datetime.now().isoformat(timespec='minutes')}, `make bench` (bench/durable.py), local stack on "
        "this 2-core machine, one run. Seconds are indicative; counts are exact.",
        "",
        f"## An agent loop of {loop['steps']:,} steps, a person asked at step {loop['ask_at']}",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| status | {loop['status']} |",
        f"| create → question (s) | {loop['seconds_to_question']:.1f} |",
        f"| answer → end (s) | {loop['seconds_after_answer']:.1f} |",
        f"| steps run more than once (by side effects) | **{loop['steps_run_more_than_once']}** |",
        f"| steps never run | {loop['steps_never_run']} |",
        f"| Lambda invocations / transitions | {loop['usage']['lambda_invocations']} / "
        f"{loop['usage']['transitions']} |",
        "",
        f"## A run of {many['operations']:,} durable operations ({many['steps']:,} steps)",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| status | {many['status']} |",
        f"| wall time (s) | {many['seconds']:.1f} |",
        f"| operations / s | {many['operations_per_second']:.0f} |",
        f"| Step Functions transitions per operation | {per['transitions']:.5f} |",
        f"| Lambda invocations per operation | {per['lambda_invocations']:.5f} |",
        f"| DynamoDB write units per operation | {per['write_units']:.3f} |",
        f"| DynamoDB read units per operation | {per['read_units']:.3f} |",
        f"| bytes stored per operation | {per['bytes_stored']:.0f} |",
        f"| **USD per million operations, excluding compute** | "
        f"**{many['usd_per_million_operations_excluding_compute']:.2f}** |",
        f"| the same with a transaction per operation (estimate) | "
        f"{many['usd_per_million_with_a_transaction_per_operation']:.2f} |",
        "| Lambda durable functions (list price) | 8.00 |",
        "",
        "Excluding compute: Step Functions transitions, DynamoDB request units and a month of storage. The "
        "Lambda time that runs the code is the same whoever hosts it, and is in the run's `usage` too.",
        "",
        f"## Model calls: {models['runs']} runs at once, {models['calls']:,} calls in all (scripted model)",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| statuses | {', '.join(models['statuses'])} |",
        f"| model calls / s across runs | {models['calls_per_second']:.0f} |",
        f"| DynamoDB write units per call (the call, its streamed events, its usage) | "
        f"{models['write_units_per_call']:.2f} |",
        f"| USD per million model-call operations, excluding the model and compute | "
        f"{models['usd_per_million_calls_excluding_model_and_compute']:.2f} |",
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""What one echo run costs the local stack in process: the AWS operations the runtime, the local
stack's pollers and moto's Step Functions interpreter make per run (every boto3 client counted), and
the process's CPU per run, over sequential echo runs through the local gateway on 127.0.0.1 (LocalCloud
in this process, ephemeral, as the tests start it). Idle pollers run throughout, as in `make dev`.

Run: .venv/bin/python bench/echo_ops.py NAME [--runs N]  -> bench/reports/echo_ops-NAME.md
(one run on a noisy 2-core machine: compare runs taken on the same machine)
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "bench" / "reports"
sys.path.insert(0, str(ROOT))

from bench.local_stack import serve  # noqa: E402 (after the path)

SETTLE_SECONDS = 0.5  # after the last run: the pollers see its last writes


def count_operations() -> collections.Counter[str]:
    """Count every call any botocore client makes, by "<endpoint prefix>:<Operation>"."""
    import botocore.client

    counts: collections.Counter[str] = collections.Counter()
    original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 (private for mypy)

    def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        counts[f"{self.meta.service_model.endpoint_prefix}:{operation_name}"] += 1
        return original(self, operation_name, api_params)

    setattr(botocore.client.BaseClient, "_make_api_call", _make_api_call)  # noqa: B010 (private for mypy)
    return counts


def echo(http: httpx.Client) -> None:
    created = http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {"n": 1}})
    created.raise_for_status()
    run = http.get(f"/v1/runs/{created.json()['run_id']}/wait", params={"timeout": 20}).json()
    if run.get("status") != "succeeded":
        raise RuntimeError(f"echo run ended {run}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", help="report name: bench/reports/echo_ops-NAME.md")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    counts = count_operations()
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    with LocalCloud(), httpx.Client(base_url=serve(create_app()), timeout=60) as http:
        for _ in range(3):  # warm up: imports, clients, caches
            echo(http)
        time.sleep(SETTLE_SECONDS)
        counts.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        latencies = []
        for _ in range(args.runs):
            started = time.perf_counter()
            echo(http)
            latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(SETTLE_SECONDS)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        operations = dict(counts)
    latencies.sort()
    per_run = sum(operations.values()) / args.runs
    lines = [
        f"# Echo run cost in process ({args.name})",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC, `bench/echo_ops.py {args.name}`: {args.runs} sequential",
        "echo runs (POST /v1/runs, GET /v1/runs/{id}/wait) through the local gateway, LocalCloud in the",
        "same process;",
        f"CPU is the process's over the runs and {SETTLE_SECONDS} s after them, idle pollers included.",
        "",
        f"- CPU per echo run: **{cpu * 1000 / args.runs:.1f} ms**",
        f"- create → succeeded p50: {latencies[len(latencies) // 2]:.0f} ms (wall {wall:.1f} s)",
        f"- AWS operations per echo run: **{per_run:.1f}**",
        "",
        "| per run | operation |",
        "| ---: | --- |",
        *(
            f"| {n / args.runs:.2f} | `{op}` |"
            for op, n in sorted(operations.items(), key=lambda item: (-item[1], item[0]))
        ),
        "",
    ]
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"echo_ops-{args.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

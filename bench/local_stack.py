"""Latency of echo runs on the local stack (create -> succeeded, over real HTTP on 127.0.0.1) as its table
grows, with the local stack's item-level transaction rollback (local/agent_runtime_local/moto_patches.py)
and with moto's own, which deep-copies the whole table for every transaction. Each variant runs in a
process of its own. Writes bench/reports/local_stack.md.

Run: .venv/bin/python bench/local_stack.py   (one run on a noisy 2-core machine: compare ratios)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

REPORT = Path(__file__).parent / "reports" / "local_stack.md"
RUNS_PER_SIZE = 10
TABLE_SIZES = (0, 5_000, 10_000, 20_000)  # filler items in the table before each measurement
VARIANTS = {"item-level rollback (the local stack)": "patched", "moto's whole-table copy": "moto"}


def serve(app: Any) -> str:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}"


def fill(table: str, start: int, count: int) -> None:
    """Event-sized items of other runs, written outside any function."""
    from agent_runtime import aws

    for offset in range(start, start + count, 25):
        batch = [
            {
                "PutRequest": {
                    "Item": {"PK": {"S": f"RUN#filler-{i}"}, "SK": {"S": "EVT#1"}, "data": {"S": "x" * 200}}
                }
            }
            for i in range(offset, min(offset + 25, start + count))
        ]
        aws.dynamodb().batch_write_item(RequestItems={table: batch})


def echo_latency(http: httpx.Client) -> float:
    started = time.perf_counter()
    run_id = http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {"n": 1}}).json()["run_id"]
    while http.get(f"/v1/runs/{run_id}").json()["status"] != "succeeded":
        time.sleep(0.02)
    return (time.perf_counter() - started) * 1000


def measure(variant: str) -> list[tuple[int, float, float]]:
    """(filler items, median ms, max ms) per table size."""
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    rows = []
    with LocalCloud() as cloud:
        if variant == "moto":
            from moto.dynamodb.models import DynamoDBBackend
            from moto.dynamodb.models.table import Table

            DynamoDBBackend.transact_write_items = DynamoDBBackend.transact_write_items.__wrapped__  # type: ignore[attr-defined]
            del Table.__deepcopy__  # type: ignore[attr-defined]
        assert cloud.resources is not None
        stored = 0
        with httpx.Client(base_url=serve(create_app()), timeout=120) as http:
            echo_latency(http)  # warm up: imports, clients
            for size in TABLE_SIZES:
                fill(cloud.resources.table, stored, size - stored)
                stored = size
                samples = [echo_latency(http) for _ in range(RUNS_PER_SIZE)]
                rows.append((size, statistics.median(samples), max(samples)))
    return rows


def main() -> None:
    if len(sys.argv) == 2:  # a variant's own process
        print(json.dumps(measure(sys.argv[1])))
        return
    lines = [
        "# Local stack: echo run latency as the table grows",
        "",
        f"{time.strftime('%Y-%m-%d')}: median and max of {RUNS_PER_SIZE} echo runs (create → succeeded over",
        "HTTP on 127.0.0.1) after that many filler items were written; ratio of each median to the first.",
        "",
    ]
    for title, variant in VARIANTS.items():
        out = subprocess.run([sys.executable, __file__, variant], capture_output=True, text=True, check=True)
        rows = json.loads(out.stdout.strip().splitlines()[-1])
        lines += [
            f"## {title}",
            "",
            "| filler items | median ms | max ms | median / first |",
            "| ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {size} | {median:.0f} | {worst:.0f} | {median / rows[0][1]:.2f} |"
            for size, median, worst in rows
        ]
        lines.append("")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

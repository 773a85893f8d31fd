"""Emit -> client latency of streamed model tokens over the real SSE path of the local stack.

A step calls the scripted model at 30 tokens/s (bench/workflows.py `model-stream`); each
`message.delta` carries the wall-clock time of its emit, and the client (httpx-sse over 127.0.0.1,
reconnecting with Last-Event-ID across windows, as a browser's EventSource does) notes when it arrives.
Same machine, same clock. The local stack runs with `make dev`'s settings (LocalCloud's defaults).
Reports p50/p95/max per run and over all, SSE requests per streamed minute and the run's DynamoDB
write units per streamed minute (the cloud cost drivers, docs/cost.md), under a label, into
bench/reports/stream_latency.md (rows of earlier labels are kept, in bench/reports/stream_latency.json).

Run: .venv/bin/python bench/stream_latency.py LABEL [RUNS] [TOKENS] [TOKENS_PER_SECOND]
     (defaults: 3 runs of 150 tokens at 30/s, about 20 s)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse

from bench.local_stack import serve

REPORTS = Path(__file__).parent / "reports"
REPORT = REPORTS / "stream_latency.md"
DATA = REPORTS / "stream_latency.json"
DEADLINE_SECONDS = 120
# What one row can't say (the table keeps the last measurement of each label).
NOTES = [
    "`after` was measured three times on 2026-12-06 at load averages 8 to 12 (six other engineers on two",
    "cores): p50 229, 264 and 252 ms, p95 440, 500 and 442 ms. So p95 meets its goal with room to spare and",
    "p50 sits at its 250 ms goal on this loaded machine. About 120 ms of each window is its cycle on the",
    "local stack (the client's request, a read of the run and a query of its events on moto, the reply):",
    "`tried: hold 0.05` and `tried: flush 0.05` did not beat the noise, at more requests or commits. The",
    "next step down is push, one request per window writing frames as they are found (Lambda response",
    "streaming in the cloud; docs/cost.md prices it).",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(runs: int, tokens: int, rate: float) -> dict[str, Any]:
    os.environ["AGENT_RUNTIME_WORKFLOW_MODULES"] = "bench.workflows"
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    results = []
    with (
        LocalCloud(environment={"AGENT_RUNTIME_WORKFLOW_MODULES": "bench.workflows"}),
        httpx.Client(base_url=serve(create_app()), timeout=60) as http,
    ):
        for _ in range(runs):
            body = {
                "workflow": {"name": "model-stream"},
                "input": {"tokens": tokens, "tokens_per_second": rate},
            }
            run_id = http.post("/v1/runs", json=body).json()["run_id"]
            lags: list[float] = []
            to_commit: list[float] = []  # emit -> the commit's created_at (ms precision)
            arrivals: list[float] = []
            indexes: list[int] = []
            first_emit = last_emit = 0.0
            last_id, windows, ended = "0", 0, False
            started = time.monotonic()
            while not ended and time.monotonic() - started < DEADLINE_SECONDS:
                windows += 1
                headers = {"Last-Event-ID": last_id, "Accept": "text/event-stream"}
                with connect_sse(http, "GET", f"/v1/runs/{run_id}/events", headers=headers) as sse:
                    for message in sse.iter_sse():
                        if message.event == "end":
                            ended = True
                            break
                        last_id = message.id or last_id
                        if message.event == "message.delta":
                            arrived = time.time()
                            event = json.loads(message.data)
                            data = event["data"]
                            lags.append(arrived - data["emitted_at"])
                            arrivals.append(arrived)
                            committed = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
                            to_commit.append(committed.timestamp() - data["emitted_at"])
                            indexes.append(data["index"])
                            first_emit = first_emit or data["emitted_at"]
                            last_emit = data["emitted_at"]
            run = http.get(f"/v1/runs/{run_id}").json()
            streamed_minutes = max(last_emit - first_emit, 1e-9) / 60
            results.append(
                {
                    "status": run["status"],
                    "received": len(lags),
                    "in_order": indexes == list(range(len(indexes))),
                    "p50_ms": percentile(lags, 0.5) * 1000,
                    "p95_ms": percentile(lags, 0.95) * 1000,
                    "max_ms": max(lags) * 1000,
                    "lags": lags,
                    "to_commit": to_commit,
                    "sse_requests_per_minute": windows / streamed_minutes,
                    # Deltas the client got per second, first to last: the sustained rate of one run.
                    "delivered_per_second": (len(arrivals) - 1) / max(arrivals[-1] - arrivals[0], 1e-9),
                    "write_units_per_minute": run["usage"]["write_units"] / streamed_minutes,
                }
            )
    everything = [lag for r in results for lag in r["lags"]]
    committing = [lag for r in results for lag in r["to_commit"]]
    from agent_runtime.config import settings as configured

    config = configured()
    settings = {
        "SSE_POLL_SECONDS": f"{config.sse_poll_seconds:g}",
        "SSE_HOLD_SECONDS": f"{config.sse_hold_seconds:g}",
        "SSE_WINDOW_SECONDS": f"{config.sse_window_seconds:g}",
    }

    return {
        "runs": [{k: v for k, v in r.items() if k not in ("lags", "to_commit")} for r in results],
        "commit_p50_ms": percentile(committing, 0.5) * 1000,
        "commit_p95_ms": percentile(committing, 0.95) * 1000,
        "p50_ms": percentile(everything, 0.5) * 1000,
        "p95_ms": percentile(everything, 0.95) * 1000,
        "max_ms": max(everything) * 1000,
        "samples": len(everything),
        "settings": settings,
        "flush_seconds": config.event_flush_seconds,
        "tokens": tokens,
        "rate": rate,
    }


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--one":
        runs, tokens, rate = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        print(json.dumps(measure(runs, tokens, rate)))
        return
    rows = json.loads(DATA.read_text()) if DATA.exists() else {}
    if sys.argv[1:] != ["--render"]:  # --render: the report again from the stored rows
        label = sys.argv[1] if len(sys.argv) > 1 else "latest"
        runs = sys.argv[2] if len(sys.argv) > 2 else "3"
        tokens = sys.argv[3] if len(sys.argv) > 3 else "150"
        rate = sys.argv[4] if len(sys.argv) > 4 else "30"
        out = subprocess.run(
            [sys.executable, __file__, "--one", runs, tokens, rate],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["date"] = time.strftime("%Y-%m-%d %H:%M")
        rows[label] = row
        DATA.write_text(json.dumps(rows, indent=1) + "\n")
    lines = [
        "# Streamed tokens: emit -> client latency",
        "",
        "Local stack with `make dev`'s settings; a step calls the scripted model, which streams tokens at",
        "the given rate as `message.delta` events; the client follows `GET /v1/runs/{id}/events` as SSE",
        "over 127.0.0.1 (httpx-sse, reconnecting with Last-Event-ID) and notes each delta's arrival",
        "against the wall-clock time of its emit (and the event's `created_at`, its commit). Goal (issue",
        "19): p50 <= 250 ms, p95 <= 600 ms at 30",
        "tokens/s. SSE requests and DynamoDB write units are per minute of streaming, the cloud's cost",
        "drivers (docs/cost.md). One noisy 2-core machine shared with other work: read the spread, not",
        "the digits. Rows labelled `sustained` push far more tokens than a model writes: their",
        "deltas/s at the client is what one run sustains end to end (the scripted model and `ctx.emit`",
        "included). Regenerate: `.venv/bin/python bench/stream_latency.py LABEL [RUNS TOKENS RATE]`.",
        "",
        "| label | date | runs x tokens @ rate | deltas received (in order) | p50 ms | p95 ms | max ms "
        "| emit -> commit p50 / p95 ms | deltas/s at the client | SSE requests/min | write units/min "
        "| event flush s "
        "| SSE poll / hold s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, r in rows.items():
        received = sum(x["received"] for x in r["runs"])
        in_order = all(x["in_order"] for x in r["runs"])
        requests = statistics.mean(x["sse_requests_per_minute"] for x in r["runs"])
        units = statistics.mean(x["write_units_per_minute"] for x in r["runs"])
        rates = [x["delivered_per_second"] for x in r["runs"] if "delivered_per_second" in x]
        delivered = f"{statistics.mean(rates):.0f}" if rates else "-"
        poll = r["settings"].get("SSE_POLL_SECONDS") or "?"
        hold = r["settings"].get("SSE_HOLD_SECONDS") or "?"
        commit = f"{r['commit_p50_ms']:.0f} / {r['commit_p95_ms']:.0f}" if "commit_p50_ms" in r else "-"
        lines.append(
            f"| {name} | {r['date']} | {len(r['runs'])} x {r['tokens']} @ {r['rate']:g}/s | {received} "
            f"({'yes' if in_order else 'NO'}) | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} "
            f"| {commit} | {delivered} | {requests:.0f} | {units:.0f} | {r['flush_seconds']:g} "
            f"| {poll} / {hold} |"
        )
    lines += ["", *NOTES]
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

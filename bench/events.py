"""Events at agent scale: one run emitting N custom events in a loop, streamed over SSE (real HTTP on
127.0.0.1, reconnecting with Last-Event-ID across windows) until `end`. Reports the time from create to
the last event received, and events/s per thousand events (flat is the goal). Writes
bench/reports/events.md.

Run: .venv/bin/python bench/events.py [N ...]   (default 1000 10000; one run on a noisy 2-core machine)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse

from bench.local_stack import serve

REPORT = Path(__file__).parent / "reports" / "events.md"
DEADLINE_SECONDS = 600  # a run that takes longer is reported as unfinished


def measure(events: int) -> dict[str, Any]:
    os.environ["AGENT_RUNTIME_WORKFLOW_MODULES"] = "bench.workflows"
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    with (
        LocalCloud(environment={"AGENT_RUNTIME_WORKFLOW_MODULES": "bench.workflows"}),
        httpx.Client(base_url=serve(create_app()), timeout=60) as http,
    ):
        started = time.perf_counter()
        body = {"workflow": {"name": "token-stream"}, "input": {"events": events}}
        run_id = http.post("/v1/runs", json=body).json()["run_id"]
        arrivals: list[float] = []  # seconds since create, per custom event received
        emitted_at: list[str] = []  # when the server committed each (RFC 3339, ms)
        last_id, windows, ended = "0", 0, False
        while not ended and time.perf_counter() - started < DEADLINE_SECONDS:
            windows += 1
            with connect_sse(
                http, "GET", f"/v1/runs/{run_id}/events", headers={"Last-Event-ID": last_id}
            ) as sse:
                for message in sse.iter_sse():
                    if message.event == "end":
                        ended = True
                        break
                    last_id = message.id or last_id
                    if message.event == "token":
                        arrivals.append(time.perf_counter() - started)
                        emitted_at.append(json.loads(message.data)["created_at"])
        status = http.get(f"/v1/runs/{run_id}").json()["status"]
    per_thousand = []
    for k in range(0, len(arrivals), 1000):
        chunk = arrivals[k : k + 1000]
        previous = arrivals[k - 1] if k else 0.0
        per_thousand.append(len(chunk) / max(chunk[-1] - previous, 1e-9))
    stamps = [datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() for at in emitted_at]
    committed_per_thousand = []
    for k in range(0, len(stamps), 1000):
        chunk = stamps[k : k + 1000]
        start = stamps[k - 1] if k else chunk[0]
        committed_per_thousand.append(len(chunk) / max(chunk[-1] - start, 1e-3))
    return {
        "committed_per_thousand": committed_per_thousand,
        "events": events,
        "received": len(arrivals),
        "seconds": arrivals[-1] if arrivals else None,
        "status": status,
        "ended": ended,
        "windows": windows,
        "per_thousand": per_thousand,
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10_000]
    lines = [
        "# Events at agent scale",
        "",
        f"{time.strftime('%Y-%m-%d')}, local stack, one run per row: a workflow emitting N custom events",
        "in a loop, streamed over SSE on 127.0.0.1 (reconnecting with Last-Event-ID) until `end`. Each",
        "size runs in a fresh process and a fresh local cloud.",
        "",
        "| events | received | create → last event s | events/s overall | SSE windows "
        "| committed events/s per 1000 (first … last) |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=True
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        seconds = row["seconds"] or float("nan")
        rates = ", ".join(f"{r:.0f}" for r in row["committed_per_thousand"])
        finished = "" if row["ended"] else f" (unfinished after {DEADLINE_SECONDS} s)"
        lines.append(
            f"| {size} | {row['received']} | {seconds:.1f}{finished} | {row['received'] / seconds:.0f} | "
            f"{row['windows']} | {rates} |"
        )
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

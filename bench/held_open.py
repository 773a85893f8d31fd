"""One tenant holds requests open, another works (issue 21, item 1): on the local stack over real HTTP on
127.0.0.1, tenant A opens ATTACK SSE windows at once on its run waiting for a human (each held for the
window's length); meanwhile tenant B times short requests. Reports B's latency without and during the
attack and what A's requests were answered. Writes bench/reports/held_open.md.

Run: .venv/bin/python bench/held_open.py   (one run on a noisy 2-core machine)
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_stack import serve

REPORT = Path(__file__).parent / "reports" / "held_open.md"
ATTACK = 60  # the review's 60 SSE windows
WINDOW_SECONDS = 8
SAMPLES = 20


def latencies(http: httpx.Client) -> list[float]:
    taken = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        assert http.get("/v1/workflows").status_code == 200
        taken.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    return taken


def main() -> None:
    os.environ["SSE_WINDOW_SECONDS"] = str(WINDOW_SECONDS)
    from agent_runtime.engine import Engine
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app
    from functions.manifest import HELD_OPEN_PER_TENANT

    with LocalCloud():
        keys = [Engine.default().api_keys.create(f"bench-{name}") for name in ("a", "b")]
        base = serve(create_app())
        a = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {keys[0]}"}, timeout=60)
        b = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {keys[1]}"}, timeout=60)
        body = {"title": "Q4", "points": ["ship"], "reviewer": "ana"}
        run_id = a.post("/v1/runs", json={"workflow": {"name": "approval"}, "input": body}).json()["run_id"]
        a.get(f"/v1/runs/{run_id}/wait", params={"timeout": 20})
        last = a.get(f"/v1/runs/{run_id}/events").json()["data"][-1]["id"]
        latencies(b)  # warm up
        quiet = latencies(b)

        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def window(_: int) -> None:
            reply = a.get(
                f"/v1/runs/{run_id}/events",
                headers={"Accept": "text/event-stream", "Last-Event-ID": str(last)},
            )
            with lock:
                statuses[reply.status_code] += 1

        with ThreadPoolExecutor(ATTACK) as pool:
            held = [pool.submit(window, i) for i in range(ATTACK)]
            time.sleep(1.0)  # every window opened (or refused)
            during = latencies(b)
            for future in held:
                future.result()

    def row(label: str, values: list[float]) -> str:
        return f"| {label} | {statistics.median(values):.1f} | {max(values):.1f} |"

    lines = [
        "# One tenant holding requests open, another working",
        "",
        f"{time.strftime('%Y-%m-%d')}, `bench/held_open.py`, local stack on 127.0.0.1 (real HTTP). "
        f"Tenant A opens {ATTACK} SSE windows ({WINDOW_SECONDS} s each) at once; tenant B makes {SAMPLES} "
        f"short requests (`GET /v1/workflows`) one after another. Cap: {HELD_OPEN_PER_TENANT} held-open "
        "requests per tenant.",
        "",
        "| tenant B | median ms | max ms |",
        "| --- | ---: | ---: |",
        row("no attack", quiet),
        row("while A holds its windows", during),
        "",
        "Tenant A's windows: "
        + ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
        + " (429: `/problems/too-many-open-requests`).",
        "",
        "Before (the review, same attack on the shared thread pool): B's 10 ms request took 19 s.",
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""What the cyclic garbage collector costs the local stack per echo run, with the objects alive after
start-up frozen (memory.freeze_start_up_objects, as LocalCloud does) and unfrozen, alternating in one
process: 8 client threads making echo runs through the local gateway (LocalCloud in this process, as
the tests start it). CPU is the process's; GC time is the collector's own, from gc.callbacks.

Run: .venv/bin/python bench/gc_freeze.py [--rounds R] [--runs N]  -> bench/reports/gc_freeze.md
(2 shared cores: compare the two columns of one report)
"""

from __future__ import annotations

import argparse
import collections
import gc
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "reports" / "gc_freeze.md"
sys.path.insert(0, str(ROOT))

from bench.echo_ops import echo  # noqa: E402 (after the path)
from bench.local_stack import serve  # noqa: E402

CLIENTS = 8


def block(base: str, runs: int) -> None:
    """`runs` echo runs spread over CLIENTS threads."""

    def client() -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(runs // CLIENTS):
                echo(http)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=48, help="echo runs per block (a multiple of 8)")
    args = parser.parse_args()
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    collecting: dict[str, float] = {"since": 0.0, "spent": 0.0}

    def timed(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collecting["since"] = time.thread_time()
        else:
            collecting["spent"] += time.thread_time() - collecting["since"]

    cpu: dict[str, list[float]] = collections.defaultdict(list)
    collector: dict[str, list[float]] = collections.defaultdict(list)
    with LocalCloud(), httpx.Client(base_url=serve(create_app()), timeout=60) as http:
        for _ in range(3):  # warm up: imports, clients, caches
            echo(http)
        frozen_at_start = gc.get_freeze_count()
        base = str(http.base_url)
        gc.callbacks.append(timed)
        for round_ in range(args.rounds):
            order = ("frozen", "unfrozen") if round_ % 2 == 0 else ("unfrozen", "frozen")
            for name in order:
                gc.unfreeze()
                if name == "frozen":
                    gc.freeze()  # what was frozen at start-up, and what the earlier blocks left alive
                collecting["spent"] = 0.0
                started = time.process_time()
                block(base, args.runs)
                cpu[name].append((time.process_time() - started) / args.runs)
                collector[name].append(collecting["spent"] / args.runs)
        gc.callbacks.remove(timed)
        objects = len(gc.get_objects()) + gc.get_freeze_count()

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f}"

    lines = [
        "# The cyclic GC's cost per echo run, start-up objects frozen or not",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC,",
        f"`bench/gc_freeze.py --rounds {args.rounds} --runs {args.runs}`:",
        f"{CLIENTS} client threads making echo runs through the local gateway, LocalCloud in this process;",
        f"{args.rounds} rounds of one block of {args.runs} runs each way, the order flipped each round.",
        f"Medians. Frozen by LocalCloud at start-up: {frozen_at_start} objects; {objects} alive at the end.",
        "A frozen block freezes what the blocks before it left alive too (start-up leaves it to the",
        "collector): as a session grows, its full collections walk more than this column's did.",
        "",
        "| per echo run | frozen | unfrozen | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| process CPU (ms) | {ms(cpu['frozen'])} | {ms(cpu['unfrozen'])} |"
        f" {statistics.median(cpu['frozen']) / statistics.median(cpu['unfrozen']):.2f} |",
        f"| … of which the collector's (ms) | {ms(collector['frozen'])} | {ms(collector['unfrozen'])} | |",
        "",
    ]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

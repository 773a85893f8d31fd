"""What the cyclic garbage collector costs the local stack per echo run, with and without one of the
settings memory.py gives it, alternating in one process: 8 client threads making echo runs through the
local gateway (LocalCloud in this process, as the tests start it). CPU is the process's; GC time is
the collector's own, from gc.callbacks.

- `freeze`: the objects alive after start-up frozen (memory.freeze_start_up_objects) or not;
- `threshold`: the youngest generation collected every memory.YOUNG_THRESHOLD allocations, or at
  Python's default 700 (start-up objects frozen in both);
- `both`: both settings, or neither (Python's defaults).

Run: .venv/bin/python bench/gc_cost.py freeze|threshold|both [--rounds R] [--runs N]
     -> bench/reports/gc_WHAT.md (2 shared cores: compare the columns of one report)
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
REPORTS = ROOT / "bench" / "reports"
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
    parser.add_argument("what", choices=("freeze", "threshold", "both"))
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=48, help="echo runs per block (a multiple of 8)")
    args = parser.parse_args()
    from agent_runtime_local import memory
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    variants = {
        "freeze": ("frozen", "unfrozen"),
        "threshold": (f"young generation {memory.YOUNG_THRESHOLD}", "young generation 700"),
        "both": ("as memory.py sets it", "Python's defaults"),
    }[args.what]

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
        young, middle, old = gc.get_threshold()
        for round_ in range(args.rounds):
            for name in variants if round_ % 2 == 0 else variants[::-1]:
                if args.what != "threshold":
                    gc.unfreeze()
                    if name == variants[0]:
                        gc.freeze()  # what was frozen at start-up, and what the earlier blocks left alive
                if args.what != "freeze":
                    gc.set_threshold(young if name == variants[0] else 700, middle, old)
                collecting["spent"] = 0.0
                started = time.process_time()
                block(base, args.runs)
                cpu[name].append((time.process_time() - started) / args.runs)
                collector[name].append(collecting["spent"] / args.runs)
        gc.callbacks.remove(timed)
        objects = len(gc.get_objects()) + gc.get_freeze_count()

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f}"

    mine, other = variants
    title = {
        "freeze": "start-up objects frozen or not",
        "threshold": "the youngest generation's threshold",
        "both": "memory.py's settings or Python's defaults",
    }
    notes = {
        "freeze": [
            "A frozen block freezes what the blocks before it left alive too (start-up leaves it to the",
            "collector): as a session grows, its full collections walk more than this column's did.",
        ],
        "threshold": ["Start-up objects frozen in both, as LocalCloud leaves them."],
        "both": [
            "memory.py's: start-up objects frozen (here, what earlier blocks left too) and the youngest",
            f"generation collected every {memory.YOUNG_THRESHOLD} allocations; Python's: none frozen, 700.",
        ],
    }
    lines = [
        f"# The cyclic GC's cost per echo run: {title[args.what]}",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC,",
        f"`bench/gc_cost.py {args.what} --rounds {args.rounds} --runs {args.runs}`:",
        f"{CLIENTS} client threads making echo runs through the local gateway, LocalCloud in this process;",
        f"{args.rounds} rounds of one block of {args.runs} runs each way, the order flipped each round.",
        f"Medians. Frozen by LocalCloud at start-up: {frozen_at_start} objects; {objects} alive at the end.",
        *notes[args.what],
        "",
        f"| per echo run | {mine} | {other} | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| process CPU (ms) | {ms(cpu[mine])} | {ms(cpu[other])} |"
        f" {statistics.median(cpu[mine]) / statistics.median(cpu[other]):.2f} |",
        f"| … of which the collector's (ms) | {ms(collector[mine])} | {ms(collector[other])} | |",
        "",
    ]
    report = REPORTS / f"gc_{args.what}.md"
    REPORTS.mkdir(exist_ok=True)
    report.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

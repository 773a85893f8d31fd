"""`agent-runtime dev` under 8 echo clients (bench/peer.py's), as shipped and without decision 92's
fourth pass (moto_dynamodb's changes and memory.py's GC settings, switched off by a sitecustomize
under bench/.work/), in alternating pairs: server CPU (user + system, every thread) per echo run and
runs/s.

Run: .venv/bin/python bench/dev_cpu.py [--pairs P] [--seconds S]  -> bench/reports/dev_cpu.md
(2 shared cores: compare the columns of one report)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.peer import (  # noqa: E402 (after the path)
    CLIENTS,
    REPORTS,
    WORK,
    concurrent,
    cpu_seconds,
    free_port,
    ours_command,
    ours_run,
    server,
)

WITHOUT = """# bench/dev_cpu.py: the local stack without decision 92's fourth pass
import agent_runtime_local.memory as memory
import agent_runtime_local.moto_dynamodb as moto_dynamodb

moto_dynamodb.install = lambda: None
memory.freeze_start_up_objects = lambda: None
memory.collect_young_objects_less_often = lambda: None
"""


def measure(env: dict[str, str], seconds: float) -> tuple[float, float]:
    """(server CPU ms per run, runs/s) over `seconds` of CLIENTS clients, after a warm-up."""
    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(ours_command(port), ROOT, f"{base}/v1/workflows", env) as pid:
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(5):
                ours_run(http)
        before = cpu_seconds(pid)
        runs, elapsed, errors = concurrent(base, ours_run, seconds)
        spent = cpu_seconds(pid) - before
    if errors or not runs:
        raise RuntimeError(f"echo runs failed: {errors[:2]}")
    return spent * 1000 / runs, runs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    without = WORK / "without-fourth-pass"
    without.mkdir(parents=True, exist_ok=True)
    (without / "sitecustomize.py").write_text(WITHOUT)
    variants = {"as shipped": {}, "without the fourth pass": {"PYTHONPATH": str(without)}}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for pair in range(args.pairs):
        for name in list(variants) if pair % 2 == 0 else list(variants)[::-1]:
            results[name].append(measure(variants[name], args.seconds))
    shipped, off = (results[name] for name in variants)

    def median(values: list[tuple[float, float]], index: int) -> float:
        return statistics.median(value[index] for value in values)

    def row(label: str, index: int) -> str:
        mine, theirs = median(shipped, index), median(off, index)
        each = [", ".join(f"{value[index]:.1f}" for value in values) for values in (shipped, off)]
        return f"| {label} | {mine:.1f} ({each[0]}) | {theirs:.1f} ({each[1]}) | {mine / theirs:.2f} |"

    lines = [
        "# `agent-runtime dev` with and without decision 92's fourth pass",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC,",
        f"`bench/dev_cpu.py --pairs {args.pairs} --seconds {args.seconds:g}`: {CLIENTS} echo clients for",
        f"{args.seconds:g} s against a fresh `agent-runtime dev` each time, the two variants alternating.",
        "Medians; each pair's figures in brackets.",
        "",
        "| | as shipped | without the fourth pass | ratio |",
        "| --- | ---: | ---: | ---: |",
        row("server CPU per echo run (ms)", 0),
        row("runs/s", 1),
        "",
    ]
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "dev_cpu.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

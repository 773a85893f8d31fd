"""How long the test suite takes, by tier and by number of xdist workers, in one run of this script.

    .venv/bin/python bench/test_suite.py fast:0 fast:2 full:4   # -> bench/reports/tests.md

Each argument is `<suite>:<workers>`: `fast` is `make test-fast`'s selection, `full` is `make test`'s
pytest (lint and types not included); workers 0 runs without xdist. Wall time, and the CPU of pytest
and everything it started (user + system, from the children's rusage), so a noisy machine shows as CPU
that stayed the same while the wall time moved.

Each measurement starts as a fresh clone would: the project's own `__pycache__` folders are deleted
first (the .venv keeps the .pyc `make venv` compiled), and Python may write .pyc as `make test` lets it
(PYTHONDONTWRITEBYTECODE unset).

With SUITE_CPU_DIR set, the runs also load bench/suite_cpu.py, which records in that folder where the
CPU went (`.venv/bin/python bench/suite_cpu.py <dir>` prints the tables): measure one suite per run then,
as its files are one per worker.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "reports" / "tests.md"
FAST_TIERS = "not (stack or e2e or infra or browser or slow)"
FAST_IGNORES = ["--ignore=tests/infra", "--ignore=tests/console", "--ignore=tests/e2e", "--ignore=tests/docs"]


@dataclass
class Measured:
    suite: str
    workers: int
    wall_s: float
    cpu_s: float
    summary: str


def command(suite: str, workers: int) -> tuple[list[str], dict[str, str]]:
    pytest = [str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-p", "no:cacheprovider"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}  # as the Makefile's TEST_ENV
    if suite == "fast":
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        pytest += ["-p", "pytest_timeout", "-p", "xdist.plugin", "-m", FAST_TIERS, *FAST_IGNORES]
    elif suite != "full":
        raise SystemExit(f"unknown suite {suite!r}: fast or full")
    if workers:
        pytest += ["-n", str(workers), "--dist", "loadgroup"]
    if os.environ.get("SUITE_CPU_DIR"):  # where the CPU went, by file and phase, in the same run
        pytest += ["-p", "bench.suite_cpu"]
    return pytest, env


KEEP_CACHES = {".venv", ".venv-tools", ".git", "node_modules", ".work"}


def forget_project_bytecode() -> int:
    """Delete the project's __pycache__ folders (not the environments'): a fresh clone has none."""
    found = 0
    for folder, subfolders, _files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in KEEP_CACHES]
        if "__pycache__" in subfolders:
            shutil.rmtree(Path(folder) / "__pycache__")
            subfolders.remove("__pycache__")
            found += 1
    return found


def measure(suite: str, workers: int) -> Measured:
    argv, env = command(suite, workers)
    forget_project_bytecode()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    summary = lines[-1].strip("= ") if lines else f"exit {done.returncode}"
    print(f"{suite}:{workers} {wall:.0f} s wall, {cpu:.0f} s CPU: {summary}", flush=True)
    for line in done.stdout.splitlines():  # which, when some failed (-ra lists them)
        if line.startswith(("FAILED", "ERROR")):
            print(f"  {line}", flush=True)
    return Measured(suite, workers, wall, cpu, summary)


def report(rows: list[Measured]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Test suite: wall time and CPU by tier and xdist workers",
        "",
        f"{stamp}, one run of `bench/test_suite.py {' '.join(f'{r.suite}:{r.workers}' for r in rows)}` on "
        f"{os.cpu_count()} cores (shared: compare rows of this run, not runs).",
        "`fast` is `make test-fast`'s selection, `full` is `make test`'s pytest without lint and mypy.",
        "",
        "| suite | workers | wall s | CPU s | CPU / wall | result |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.suite} | {r.workers or 'none'} | {r.wall_s:.0f} | {r.cpu_s:.0f} | "
            f"{r.cpu_s / r.wall_s:.2f} | {r.summary} |"
        )
    return "\n".join(lines) + "\n"


def main(arguments: list[str]) -> None:
    runs = [(suite, int(workers)) for suite, _, workers in (a.partition(":") for a in arguments)]
    rows = [measure(suite, workers) for suite, workers in runs or [("fast", 0), ("fast", 2)]]
    REPORT.write_text(report(rows), encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])

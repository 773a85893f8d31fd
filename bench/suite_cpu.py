"""Where the test suite's CPU goes: by folder, by file and by test phase (setup, call, teardown).

    SUITE_CPU_DIR=/tmp/cpu .venv/bin/pytest -p bench.suite_cpu -n 4 --dist loadgroup   # records
    .venv/bin/python bench/suite_cpu.py /tmp/cpu                                          # tables

As a pytest plugin it records each test phase's wall time and CPU (user + system) of its process and
of the children it reaped in that phase (an `agent-runtime dev`, a README block, Chromium, Node), and
at the end each process's total, one JSON file per xdist worker. A session fixture's start counts in
the setup of the first test that asks for it. What no test phase holds (collection, start-up) is each
worker's total less its phases. A child still running when a phase ends (a module's dev server) counts
where it is reaped.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_ROWS: list[tuple[str, str, float, float, float]] = []  # nodeid, phase, wall, own CPU, children's CPU


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _timed(item: pytest.Item, phase: str) -> Iterator[None]:
    before, started = _cpu(), time.monotonic()
    yield
    after = _cpu()
    _ROWS.append((item.nodeid, phase, time.monotonic() - started, after[0] - before[0], after[1] - before[1]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _timed(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _timed(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield from _timed(item, "teardown")


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = Path(os.environ.get("SUITE_CPU_DIR", "suite-cpu"))
    out.mkdir(parents=True, exist_ok=True)
    own, children = _cpu()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    document = {"rows": _ROWS, "own": own, "children": children}
    (out / f"{worker}.json").write_text(json.dumps(document), encoding="utf-8")


def tables(directory: Path, top: int = 25) -> str:
    folders: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    files: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    phases: dict[str, float] = defaultdict(float)
    lines = [
        "| process | CPU s | in test phases | outside them (collection, start-up) |",
        "| --- | ---: | ---: | ---: |",
    ]
    workers, controller = 0.0, None
    for path in sorted(directory.glob("*.json")):
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        inside = sum(own + children for *_, own, children in document["rows"])
        total = document["own"] + document["children"]
        if document["rows"]:
            lines.append(f"| {path.stem} | {total:.0f} | {inside:.0f} | {total - inside:.0f} |")
            workers += total
        elif path.stem == "main":
            controller = document
        for nodeid, phase, wall, own, children in document["rows"]:
            name = nodeid.split("::")[0]
            folder = "/".join(name.split("/")[:2])
            folders[folder][0] += own + children
            folders[folder][1] += wall
            files[name][0] += own + children
            files[name][1] += children
            files[name][2] += wall
            phases[phase] += own + children
    if controller is not None and workers:
        # The controller's children are the workers, reaped at their exit: what they spent after writing
        # their file (interpreter shutdown, children reaped then, such as jsii's Node kernel) shows here.
        own, reaped = controller["own"], controller["children"]
        lines += [
            "",
            f"xdist controller: {own:.0f} s of its own; its workers {reaped:.0f} s in all, "
            f"{reaped - workers:.0f} s of it after their files were written.",
        ]
    lines += ["", "| phase | CPU s |", "| --- | ---: |"]
    lines += [f"| {phase} | {cpu:.0f} |" for phase, cpu in phases.items()]
    lines += ["", "| folder | CPU s | wall s (summed over workers) |", "| --- | ---: | ---: |"]
    for folder, (cpu, wall) in sorted(folders.items(), key=lambda kv: -kv[1][0]):
        lines.append(f"| {folder} | {cpu:.1f} | {wall:.0f} |")
    lines += ["", "| file | CPU s | of it children's | wall s |", "| --- | ---: | ---: | ---: |"]
    for name, (cpu, children, wall) in sorted(files.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append(f"| {name} | {cpu:.1f} | {children:.1f} | {wall:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(tables(Path(sys.argv[1])), end="")

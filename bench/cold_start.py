"""Cold import cost (CPU time) of each Lambda handler module, next to `import boto3` and the Powertools REST
resolver we chose not to use, and the same plus creating the first DynamoDB client (handlers import
boto3 lazily, so that cost comes with the first request of a cold start, not the import). Medians of
fresh interpreter runs; writes bench/reports/cold_start.md.

Run: make bench   (numbers from one run on a noisy 2-core machine: compare ratios, not absolutes)

`python bench/cold_start.py registry --before DIR [--after DIR]` measures only what building the
workflow registry costs a handler after boto3 (its first `engine.workflows`), for the code under each DIR
(a `git archive` of layers/runtime at a commit, put first on PYTHONPATH; without --after, this tree),
alternating, and writes that section of the report.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from functions import manifest

RUNS = 7
REPORT = Path(__file__).parent / "reports" / "cold_start.md"
BASELINES = {
    "python (empty)": "pass",
    "import boto3": "import boto3",
    "import pydantic": "import pydantic",
    "Powertools APIGatewayRestResolver + pydantic": (
        "import pydantic\nfrom aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver(enable_validation=True)"
    ),
    "FastAPI + Mangum-equivalent (fastapi only)": "import fastapi",
    # What every handler imports after boto3: our logs and metrics, on Powertools Logger + Metrics.
    "boto3, then agent_runtime.observability": "import boto3\nimport agent_runtime.observability",
    "boto3, then Powertools Tracer() (not used)": (
        "import boto3\nfrom aws_lambda_powertools import Tracer\nTracer()"
    ),
}


FIRST_CLIENT = "\nfrom agent_runtime import aws\naws.dynamodb()"
ENV = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


def timed(code: str, env: dict[str, str] = ENV) -> float:
    """Median CPU time (user + system) of a fresh interpreter running `code`, in ms. CPU time, not wall
    time: on a shared machine wall time mostly measures the other processes."""
    samples = []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        samples.append(cpu * 1000)
    return statistics.median(samples)


def _label(module: str, names: list[str]) -> str:
    return f"handler {names[0]}" if len(names) == 1 else f"{module} ({len(names)} functions)"


def main() -> None:
    empty = timed("pass")
    rows = [(name, timed(code)) for name, code in BASELINES.items()]
    # Functions that share a module (ACP's operations of one resource) import the same code: one row.
    modules: dict[str, list[str]] = {}
    for spec in manifest.FUNCTIONS:
        modules.setdefault(spec.module, []).append(spec.name)
    handlers = [
        (_label(module, names), timed(f"import {module}"), timed(f"import {module}{FIRST_CLIENT}"))
        for module, names in modules.items()
    ]
    boto3_ms = dict(rows)["import boto3"]
    lines = [
        "# Cold import time of handlers",
        "",
        f"Median of {RUNS} fresh `python -c` runs each, {time.strftime('%Y-%m-%d')}, "
        f"Python {sys.version.split()[0]}.",
        "Milliseconds of CPU (user + system) of the whole process, interpreter start-up included (the",
        "`python (empty)` row); ratios are to `import boto3`.",
        "",
        "| what | ms | minus interpreter | / boto3 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, ms in rows:
        lines.append(f"| {name} | {ms:.0f} | {ms - empty:.0f} | {ms / boto3_ms:.2f} |")
    lines += [
        "",
        "Handlers: the import alone, and the import plus the first DynamoDB client (what a cold start",
        "pays before its first query).",
        "",
        "| handler | import ms | / boto3 | + first client ms | / boto3 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, alone, client in handlers:
        ratios = f"{alone / boto3_ms:.2f} | {client:.0f} | {client / boto3_ms:.2f}"
        lines.append(f"| {name} | {alone:.0f} | {ratios} |")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


REGISTRY_SECTION = "## The workflow registry: the durable SDK loaded by the first durable run"
REGISTRY_CODE = {
    "import boto3": "import boto3",
    "boto3, then the registry": (
        "import boto3\nfrom agent_runtime.workflows.registry import registry\nregistry()"
    ),
    # What a durable run's invocation loads besides: the engine's side of the SDK (and the SDK).
    "boto3, the registry, then the durable host": (
        "import boto3\nfrom agent_runtime.workflows.registry import registry\nregistry()\n"
        "import agent_runtime.engine.durable.host"
    ),
}


def registry_section(before: Path, after: Path | None) -> list[str]:
    """What building the registry costs after boto3, before and after: medians of fresh interpreters,
    the two trees alternating so the machine's load falls on both alike."""
    old_env = {**ENV, "PYTHONPATH": str(before / "layers" / "runtime")}
    new_env = {**ENV, "PYTHONPATH": str(after / "layers" / "runtime")} if after else ENV
    rows = []
    for name, code in REGISTRY_CODE.items():
        old, new = [], []
        for _ in range(3):
            old.append(timed(code, old_env))
            new.append(timed(code, new_env))
        rows.append((name, statistics.median(old), statistics.median(new)))
    boto3_old, boto3_new = rows[0][1], rows[0][2]
    lines = [
        REGISTRY_SECTION,
        "",
        f"{time.strftime('%Y-%m-%d')}: CPU ms, the median of 3 medians of {RUNS} fresh interpreters, the",
        "tree before (built-in durable workflows decorated with `@durable_execution` at import) and after",
        "(the SDK imported when a durable handler is first called) alternating in one run. Every handler",
        "that reads the workflows (create, get_workflow, the step worker) builds the registry once.",
        "",
        "| what | before ms | before - boto3 | after ms | after - boto3 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, old_ms, new_ms in rows:
        old_cells = f"{old_ms:.0f} | {old_ms - boto3_old:.0f}"
        lines.append(f"| {name} | {old_cells} | {new_ms:.0f} | {new_ms - boto3_new:.0f} |")
    return lines


def write_section(title: str, lines: list[str]) -> None:
    """Replace the report's section called `title` (or append it), leaving the rest as it is."""
    text = REPORT.read_text() if REPORT.exists() else ""
    start = text.find(title)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    else:
        end = text.find("\n## ", start + len(title))
        rest = text[end + 1 :] if end != -1 else ""
        text = text[:start] + "\n".join(lines) + "\n" + ("\n" + rest if rest else "")
    REPORT.write_text(text)
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:2] == ["registry"]:
        args = sys.argv
        before = Path(args[args.index("--before") + 1])
        after = Path(args[args.index("--after") + 1]) if "--after" in args else None
        write_section(REGISTRY_SECTION, registry_section(before, after))
    else:
        main()

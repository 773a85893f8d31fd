"""Where the local stack's CPU goes on the echo path: `agent-runtime dev` under 8 concurrent echo
clients (bench/peer.py's client), sampled with py-spy (installed in its own virtualenv under
bench/.work/, never in .venv), sampling only the thread that holds the GIL: where the CPU goes.
Reports runs/s, the server's CPU per run, and the samples grouped by
area: each sample is charged to the innermost frame of a known area, so json.dumps called by moto is
moto's and moto's DynamoDB called by a handler is moto's too; stdlib frames count for their caller.

Run: .venv/bin/python bench/profile_local.py NAME [--seconds S] [--baseline EARLIER] [--without-speedups]
     -> bench/reports/profile-NAME.md. --without-speedups: the server without moto_patches' serializer and
     parser caches (how bench/reports/profile-before.md was measured).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.peer import CLIENTS, ROOT, WORK, concurrent, cpu_seconds, free_port, ours_command, ours_run, server

TOOLS = WORK / "tools-venv"
PY_SPY = "py-spy==0.4.3"
REPORTS = ROOT / "bench" / "reports"
TOP = 25
# Innermost match wins; checked in this order for each frame's file path.
AREAS = [
    ("pollers (stream, webhook queue)", ("agent_runtime_local/pollers.py",)),
    ("local gateway + Lambda bridge + moto patches", ("agent_runtime_local/",)),
    # moto, with the libraries only it uses here (its ASL interpreter's parser, its request objects).
    ("moto", ("moto/", "antlr4/", "jsonpath_ng/", "werkzeug/", "xmltodict", "jinja2/")),
    ("boto3/botocore (client side: serialize, sign, parse)", ("botocore/", "boto3/", "s3transfer/")),
    ("handlers (functions/)", ("functions/",)),
    ("our runtime (engine, store, v1)", ("agent_runtime/",)),
    ("HTTP server (uvicorn, starlette, fastapi)", ("uvicorn/", "starlette/", "fastapi/", "anyio/", "h11/")),
    ("pydantic", ("pydantic/", "pydantic_core/")),
]
# What the sample's thread was doing, by the outermost matching frame.
ACTIVITIES = [
    ("stream poller + webhook dispatch", "agent_runtime_local/pollers.py"),
    ("Step Functions execution (worker Lambdas)", "moto/stepfunctions/"),
    ("API request (gateway → handler)", "agent_runtime_local/gateway.py"),
    ("HTTP server", "uvicorn/"),
]


# py-spy --gil charges a thread blocked on the local stack's moto lock (moto_patches.py) with the GIL it
# last held: those samples are waits, not CPU, and are left out of the shares.
LOCK_WAIT = "_serialize_requests.<locals>."


# Marks moto_patches' serializer and parser caches as installed, so the server runs without them.
WITHOUT_SPEEDUPS = """from moto.core import serialize
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path

serialize.ResponseSerializer.get_value._cached_aliases = True
AmazonStateLanguageParser.parse._parse_once = True
json_path.parse._parse_once = True
"""


def py_spy() -> Path:
    binary = TOOLS / "bin" / "py-spy"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "--quiet", PY_SPY], check=True)
    return binary


def file_of(frame: str) -> str:
    return frame.rsplit("(", 1)[-1].rstrip(")")


def area_of(stack: list[str]) -> str:
    for frame in reversed(stack):
        path = file_of(frame)
        for area, markers in AREAS:
            if path.startswith(markers):
                return area
    return "other (stdlib, interpreter)"


def activity_of(stack: list[str]) -> str:
    for frame in stack:
        for activity, marker in ACTIVITIES:
            if file_of(frame).startswith(marker):
                return activity
    return "other threads"


def table(title: str, counts: collections.Counter[str], total: int, top: int = TOP) -> list[str]:
    lines = [f"### {title}", "", "| samples | % | |", "| ---: | ---: | --- |"]
    lines += [f"| {n} | {100 * n / total:.1f} | `{key}` |" for key, n in counts.most_common(top)]
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", help="report name: bench/reports/profile-NAME.md")
    parser.add_argument("--seconds", type=float, default=25)
    parser.add_argument("--baseline", help="an earlier NAME to compare with (its figures in bench/.work/)")
    parser.add_argument("--without-speedups", action="store_true")
    args = parser.parse_args()
    spy = py_spy()
    port = free_port()
    raw = WORK / f"profile-{args.name}.folded"
    command = ours_command(port)
    base_url = f"http://127.0.0.1:{port}"
    env = {}
    if args.without_speedups:
        (WORK / "without-speedups").mkdir(parents=True, exist_ok=True)
        (WORK / "without-speedups" / "sitecustomize.py").write_text(WITHOUT_SPEEDUPS)
        env["PYTHONPATH"] = str(WORK / "without-speedups")
    with server(command, ROOT, f"{base_url}/v1/workflows", env) as pid:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            for _ in range(3):
                ours_run(http)
        record = subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(args.seconds)),
                "--rate",
                "100",
                "--nonblocking",
                "--gil",
                "--format",
                "raw",
                "--output",
                str(raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cpu_before = cpu_seconds(pid)
        completed, elapsed, errors = concurrent(base_url, ours_run, args.seconds)
        cpu = cpu_seconds(pid) - cpu_before
        record.wait(60)

    areas: collections.Counter[str] = collections.Counter()
    activities: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    waits = 0
    for line in raw.read_text().split("\n"):  # not splitlines: a frame name may hold \x1c or \u2028
        frames, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue  # the last, empty line (or a frame name py-spy wrote across lines)
        stack, n = frames.split(";"), int(count)
        if stack[-1].startswith(LOCK_WAIT):
            waits += n
            continue
        areas[area_of(stack)] += n
        activities[activity_of(stack)] += n
        leaves[stack[-1]] += n
        for frame in set(stack):
            inclusive[frame] += n
    total = sum(areas.values())
    figures = {
        "runs_per_second": completed / elapsed,
        "cpu_ms_per_run": cpu * 1000 / max(completed, 1),
        "moto_share": areas["moto"] / max(total, 1),
    }
    (WORK / f"profile-{args.name}.json").write_text(json.dumps(figures))
    compared = []
    if args.baseline:
        base = json.loads((WORK / f"profile-{args.baseline}.json").read_text())
        compared = [
            f"## Against `{args.baseline}` (bench/reports/profile-{args.baseline}.md)",
            "",
            f"| | {args.baseline} | {args.name} | {args.name} / {args.baseline} |",
            "| --- | ---: | ---: | ---: |",
            *(
                f"| {label} | {base[key]:{fmt}} | {figures[key]:{fmt}} | {figures[key] / base[key]:.2f} |"
                for label, key, fmt in (
                    ("server CPU ms per echo run", "cpu_ms_per_run", ".0f"),
                    (f"runs/s at {CLIENTS} clients (CPU-starved: see CPU)", "runs_per_second", ".1f"),
                    ("moto's share of the CPU samples", "moto_share", ".0%"),
                )
            ),
            "",
        ]
    lines = [
        f"# Local stack profile ({args.name}): echo runs at {CLIENTS} clients",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC, `bench/profile_local.py {args.name}`: `agent-runtime dev`",
        f"under {CLIENTS} concurrent echo clients (POST /v1/runs, GET /v1/runs/{{id}}/wait)",
        f"for {elapsed:.0f} s,",
        "sampled by py-spy at 100 Hz (`--gil`: only the thread holding the GIL, i.e. Python CPU).",
        "2 cores shared with other work: noisy.",
        *(
            ["Run `--without-speedups`: moto_patches' serializer and parser caches off."]
            if args.without_speedups
            else []
        ),
        "",
        f"- runs/s: **{completed / elapsed:.1f}** ({completed} runs)",
        f"- server CPU per echo run: **{cpu * 1000 / max(completed, 1):.0f} ms** ({cpu:.1f} s of CPU)",
        f"- moto's share of the server's CPU: **{figures['moto_share']:.0%}**, about "
        f"{figures['moto_share'] * figures['cpu_ms_per_run']:.0f} ms of each run",
        f"- samples: {total} ({waits} more were waits on a moto lock, left out)",
        *(f"- client error: {error}" for error in errors[:3]),
        "",
        *compared,
        "## By area (each sample charged to its innermost frame of a known area)",
        "",
        *table("area", areas, total),
        *table("thread activity (outermost matching frame)", activities, total),
        "## Top functions",
        "",
        *table("self (leaf frame)", leaves, total),
        *table("cumulative (anywhere on the stack)", inclusive, total),
    ]
    text = "\n".join(lines)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"profile-{args.name}.md").write_text(text)
    print("\n".join(lines[:40]))


if __name__ == "__main__":
    main()

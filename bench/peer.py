"""Peer benchmark: the same echo workload against LangGraph's in-memory dev server (langgraph-api,
pinned in bench/requirements-langgraph.txt, installed in its own virtualenv under bench/.work/) and
against our local stack (`agent-runtime dev`), both up for the whole run, with one client (httpx).

Per server: sequential create → result latency (p50/p95); then runs/s with 8 concurrent clients, the
server's CPU time per run (user + system of the server process and its children, from /proc, idle
time included) and its resident memory after the load (VmRSS of the process tree). The load comes in
rounds that alternate between the two servers (LangGraph, ours; ours, LangGraph; ...): on a shared
machine whose speed drifts over minutes, each side then meets the same drift, where one block per
server (as this benchmark first measured) put all of a slow minute on one side. A side's figures are
its rounds' totals (runs over seconds, CPU over runs); each round's ratio is reported too. LangGraph:
POST /runs/wait (stateless); ours: POST /v1/runs then GET /v1/runs/{id}/wait. Writes
bench/reports/peer.md and peer.json with the ratios against the targets of issue 22.

Run: .venv/bin/python bench/peer.py [--sequential N] [--seconds S] [--rounds R] [--report NAME]
(one run on a noisy 2-core machine: compare the ratios, measured in the same run)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"
VENV = WORK / "langgraph-venv"
PROJECT = WORK / "langgraph-echo"
REQUIREMENTS = ROOT / "bench" / "requirements-langgraph.txt"
REPORTS = ROOT / "bench" / "reports"
CLIENTS = 8
ROUNDS = 3
STARTUP_SECONDS = 180
INPUT = {"n": 1}
# Issue 22's targets: ours / LangGraph's.
TARGETS = {"throughput": 0.3, "cpu_per_run": 5.0, "rss": 2.0, "sequential_p50": 0.1}

ECHO_GRAPH = '''"""Echo: the output is the input."""

from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def echo(state: State) -> State:
    return {"n": state["n"]}


builder = StateGraph(State)
builder.add_node("echo", echo)
builder.add_edge(START, "echo")
builder.add_edge("echo", END)
graph = builder.compile()
'''


def ensure_langgraph() -> Path:
    """The pinned LangGraph CLI + in-memory server in their own virtualenv (created once)."""
    stamp = VENV / ".installed"
    if not stamp.exists() or stamp.read_text() != REQUIREMENTS.read_text():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
        with (WORK / "pip-install.log").open("w") as log:
            subprocess.run(
                [*pip, "--require-hashes", "--no-deps", "-r", str(REQUIREMENTS)],
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )
        stamp.write_text(REQUIREMENTS.read_text())
    PROJECT.mkdir(parents=True, exist_ok=True)
    (PROJECT / "echo_graph.py").write_text(ECHO_GRAPH)
    config = {"dependencies": ["."], "graphs": {"echo": "./echo_graph.py:graph"}}
    (PROJECT / "langgraph.json").write_text(json.dumps(config, indent=2) + "\n")
    return VENV / "bin" / "langgraph"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    found = []
    for task in tasks:
        try:
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid`, its live descendants and the children they reaped (all threads)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of stat(5); index 0 here is field 3.
        total += sum(int(f) for f in fields[11:15]) / tick
        pending += _children(current)
    return total


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of `pid` and its live descendants, in MB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except FileNotFoundError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        pending += _children(current)
    return total / 1024


@contextmanager
def server(command: list[str], cwd: Path, ready_url: str, env: dict[str, str]) -> Iterator[int]:
    """Start `command` in its own process group, wait until `ready_url` answers 200, yield its pid;
    the whole group is stopped on the way out."""
    log = (WORK / f"{Path(command[0]).name}.log").open("w")
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} not ready after {STARTUP_SECONDS}s; see {log.name}")
            time.sleep(0.25)
        yield process.pid
    finally:
        for sig, grace in ((signal.SIGINT, 10), (signal.SIGKILL, 5)):
            if process.poll() is not None:
                break
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                continue
        log.close()


def langgraph_run(http: httpx.Client) -> None:
    response = http.post("/runs/wait", json={"assistant_id": "echo", "input": INPUT})
    response.raise_for_status()
    if response.json() != INPUT:
        raise RuntimeError(f"LangGraph echo returned {response.text}")


def ours_run(http: httpx.Client) -> None:
    body = {"workflow": {"name": "echo"}, "input": INPUT}
    created = http.post("/v1/runs", json=body)
    created.raise_for_status()
    run = http.get(f"/v1/runs/{created.json()['run_id']}/wait", params={"timeout": 20}).json()
    if run.get("status") != "succeeded" or run.get("output") != INPUT:
        raise RuntimeError(f"echo run ended {run}")


def concurrent(
    base_url: str, one_run: Callable[[httpx.Client], None], seconds: float
) -> tuple[int, float, list[str]]:
    """CLIENTS clients running back to back for `seconds`: (runs completed, seconds taken, errors).
    A client stops at its first error."""
    done = [0] * CLIENTS
    errors: list[str] = []
    stop = threading.Event()

    def client(index: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            while not stop.is_set():
                try:
                    one_run(http)
                except Exception as error:  # reported, not fatal
                    errors.append(repr(error))
                    return
                done[index] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(90)
    return sum(done), time.perf_counter() - started, errors


def sequential(base_url: str, pid: int, one_run: Callable[[httpx.Client], None], runs: int) -> dict[str, Any]:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for _ in range(3):  # warm up: imports, clients, caches
            one_run(http)
        latencies = []
        cpu_before = cpu_seconds(pid)
        for _ in range(runs):
            started = time.perf_counter()
            one_run(http)
            latencies.append((time.perf_counter() - started) * 1000)
        sequential_cpu = cpu_seconds(pid) - cpu_before
    ordered = sorted(latencies)
    return {
        "sequential_runs": runs,
        "p50_ms": statistics.median(ordered),
        "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "sequential_cpu_ms_per_run": sequential_cpu * 1000 / runs,
        "clients": CLIENTS,
        "rounds": [],
        "errors": [],
    }


def load_round(
    base_url: str, pid: int, one_run: Callable[[httpx.Client], None], seconds: float
) -> dict[str, Any]:
    cpu_before = cpu_seconds(pid)
    completed, elapsed, errors = concurrent(base_url, one_run, seconds)
    return {
        "seconds": elapsed,
        "completed": completed,
        "server_cpu_seconds": cpu_seconds(pid) - cpu_before,
        "errors": errors[:5],
    }


def totals(side: dict[str, Any], pid: int) -> None:
    """A side's load figures from its rounds' totals, and its memory after all of them."""
    rounds = side["rounds"]
    completed = sum(r["completed"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    cpu = sum(r["server_cpu_seconds"] for r in rounds)
    side.update(
        seconds=seconds,
        completed=completed,
        runs_per_second=completed / seconds,
        cpu_ms_per_run=cpu * 1000 / max(completed, 1),
        server_cpu_seconds=cpu,
        rss_mb=rss_mb(pid),
        errors=[e for r in rounds for e in r["errors"]][:5],
    )


def langgraph_command(port: int) -> list[str]:
    return [
        str(ensure_langgraph()),
        "dev",
        "--no-browser",
        "--no-reload",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def ours_command(port: int) -> list[str]:
    """`agent-runtime dev` as shipped, with a fresh data dir and no tenant rate limit (the cloud's
    20 requests/s per tenant would cap the benchmark, not the stack)."""
    data = WORK / "agent-runtime-data"
    shutil.rmtree(data, ignore_errors=True)
    agent_runtime = str(ROOT / ".venv" / "bin" / "agent-runtime")
    return [agent_runtime, "dev", "--port", str(port), "--data-dir", str(data), "--tenant-rate", "0"]


def run_both(runs: int, seconds: float, rounds: int) -> dict[str, Any]:
    """Both servers up; each measured sequentially, then loaded in alternating rounds."""
    lg_port = free_port()
    lg_env = {
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
        "PATH": f"{VENV / 'bin'}:{os.environ['PATH']}",
    }
    lg_url = f"http://127.0.0.1:{lg_port}"
    with server(langgraph_command(lg_port), PROJECT, f"{lg_url}/ok", lg_env) as lg_pid:
        our_port = free_port()
        our_url = f"http://127.0.0.1:{our_port}"
        with server(ours_command(our_port), ROOT, f"{our_url}/v1/workflows", {}) as our_pid:
            sides = {
                "langgraph": (lg_url, lg_pid, langgraph_run),
                "ours": (our_url, our_pid, ours_run),
            }
            results = {name: sequential(url, pid, run, runs) for name, (url, pid, run) in sides.items()}
            for index in range(rounds):
                order = ["langgraph", "ours"] if index % 2 == 0 else ["ours", "langgraph"]
                for name in order:
                    url, pid, run = sides[name]
                    results[name]["rounds"].append(load_round(url, pid, run, seconds / rounds))
            for name, (_, pid, _) in sides.items():
                totals(results[name], pid)
    return results


def langgraph_version() -> str:
    versions = "print(*(m.version(p) for p in ('langgraph-api', 'langgraph-runtime-inmem', 'langgraph')))"
    out = subprocess.run(
        [
            str(VENV / "bin" / "python"),
            "-c",
            f"import importlib.metadata as m; {versions}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    api, inmem, core = out.stdout.split()
    return f"langgraph-api {api}, langgraph-runtime-inmem {inmem}, langgraph {core}"


def report(results: dict[str, Any]) -> str:
    lg, ours = results["langgraph"], results["ours"]
    ratios = {
        "throughput": ours["runs_per_second"] / lg["runs_per_second"],
        "cpu_per_run": ours["cpu_ms_per_run"] / lg["cpu_ms_per_run"],
        "rss": ours["rss_mb"] / lg["rss_mb"],
        "sequential_p50": ours["p50_ms"] / lg["p50_ms"],
    }
    results["ratios"] = ratios
    met = {
        "throughput": ratios["throughput"] >= TARGETS["throughput"],
        "cpu_per_run": ratios["cpu_per_run"] <= TARGETS["cpu_per_run"],
        "rss": ratios["rss"] <= TARGETS["rss"],
        "sequential_p50": ratios["sequential_p50"] <= TARGETS["sequential_p50"],
    }
    results["targets_met"] = met

    def row(label: str, key: str, fmt: str) -> str:
        return f"| {label} | {format(lg[key], fmt)} | {format(ours[key], fmt)} | {ours[key] / lg[key]:.2f} |"

    verdict = {True: "met", False: "**not met**"}
    lines = [
        "# Peer benchmark: echo runs, LangGraph's in-memory server vs our local stack",
        "",
        f"{results['date']}, one run of `bench/peer.py` on {os.cpu_count()} cores shared with other work"
        " (noisy: compare the ratios, measured in the same run).",
        f"LangGraph: `langgraph dev --no-reload` ({results['langgraph_version']}),",
        "POST /runs/wait stateless. Ours: `agent-runtime dev` (moto in-process; a fresh --data-dir,",
        "--tenant-rate 0), POST /v1/runs then GET /v1/runs/{id}/wait.",
        f"Sequential: {lg['sequential_runs']} runs after 3 warm-up runs; concurrent: {CLIENTS} clients for "
        f"{results['seconds']:.0f} s per server, in {len(lg['rounds'])} rounds that alternate between the",
        "two (both servers up throughout).",
        "Server CPU: user + system time of the server process tree, idle time included.",
        "",
        "| | LangGraph | ours | ours / LangGraph |",
        "| --- | ---: | ---: | ---: |",
        row("sequential p50 ms", "p50_ms", ".0f"),
        row("sequential p95 ms", "p95_ms", ".0f"),
        row("sequential CPU ms / run", "sequential_cpu_ms_per_run", ".1f"),
        row(f"runs/s at {CLIENTS} clients", "runs_per_second", ".1f"),
        row(f"CPU ms / run at {CLIENTS} clients", "cpu_ms_per_run", ".1f"),
        row("resident memory MB after the load", "rss_mb", ".0f"),
        "",
        "| load round | LangGraph runs/s | ours runs/s | ours / LangGraph |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {index + 1} | {a['completed'] / a['seconds']:.1f} | {b['completed'] / b['seconds']:.1f} | "
            f"{(b['completed'] / b['seconds']) / (a['completed'] / a['seconds']):.2f} |"
            for index, (a, b) in enumerate(zip(lg["rounds"], ours["rounds"], strict=True))
        ),
        "",
        "| target (issue 22) | ratio | |",
        "| --- | ---: | --- |",
        *(
            f"| {label} | {ratios[key]:.2f}x | {verdict[met[key]]} |"
            for key, label in (
                ("throughput", f"throughput at {CLIENTS} clients >= {TARGETS['throughput']}x LangGraph's"),
                ("cpu_per_run", f"server CPU per run <= {TARGETS['cpu_per_run']:.0f}x LangGraph's"),
                ("rss", f"resident memory <= {TARGETS['rss']:.0f}x LangGraph's"),
                ("sequential_p50", f"sequential p50 <= {TARGETS['sequential_p50']}x LangGraph's"),
            )
        ),
        "",
    ]
    lines += [
        "Where our server's CPU goes, moto's share included: the newest bench/reports/profile-*.md",
        "(`bench/profile_local.py`, py-spy under the same 8-client load; decisions 92 and 96).",
        "",
    ]
    for name in ("langgraph", "ours"):
        if results[name]["errors"]:
            lines.append(f"Errors ({name}): {'; '.join(results[name]['errors'])}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sequential", type=int, default=40, help="sequential runs per server")
    parser.add_argument(
        "--seconds", type=float, default=30, help="seconds of 8-client load per server, all rounds"
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="alternating load rounds per server")
    parser.add_argument("--report", default="peer", help="report name: bench/reports/NAME.md and NAME.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "seconds": args.seconds}
    results.update(run_both(args.sequential, args.seconds, args.rounds))
    results["langgraph_version"] = langgraph_version()
    text = report(results)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"{args.report}.md").write_text(text)
    (REPORTS / f"{args.report}.json").write_text(json.dumps(results, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()

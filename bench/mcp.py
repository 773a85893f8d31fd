"""The MCP door on the local stack (real HTTP on 127.0.0.1): how long a client waits for an `echo` tool
call (JSON, and SSE with a progress token) next to the same run through v1 (create, then
`GET /v1/runs/{id}/wait`), and the Tasks flow of an `approval` run (tools/call until the task is
input_required, then tasks/update until tasks/get says completed). Writes bench/reports/mcp.md.

Run: .venv/bin/python bench/mcp.py [ROUNDS]   (default 30; one run on a noisy 2-core machine)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.local_stack import serve

REPORT = Path(__file__).parent / "reports" / "mcp.md"
VERSION = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"


def rpc(http: httpx.Client, method: str, params: dict[str, Any], *, progress: bool = False) -> Any:
    meta: dict[str, Any] = {
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": {"extensions": {TASKS: {}}},
    }
    if progress:
        meta["progressToken"] = "bench"
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": VERSION,
        "Mcp-Method": method,
    }
    name = params.get("name", params.get("taskId"))
    if name is not None:
        headers["Mcp-Name"] = str(name)
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}
    response = http.post("/mcp", json=body, headers=headers)
    response.raise_for_status()
    if progress:
        return response.text.count("notifications/progress")
    return response.json()["result"]


def v1_echo(http: httpx.Client) -> None:
    run_id = http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {"n": 1}}).json()["run_id"]
    assert http.get(f"/v1/runs/{run_id}/wait").json()["status"] == "succeeded"


def mcp_echo(http: httpx.Client) -> None:
    assert rpc(http, "tools/call", {"name": "echo", "arguments": {"n": 1}})["structuredContent"] == {"n": 1}


def mcp_echo_progress(http: httpx.Client) -> None:
    assert rpc(http, "tools/call", {"name": "echo", "arguments": {"n": 1}}, progress=True) >= 2


def poll(http: httpx.Client, task_id: str, status: str) -> dict[str, Any]:
    while (task := rpc(http, "tasks/get", {"taskId": task_id}))["status"] != status:
        time.sleep(0.05)
    return dict(task)


def approval_task(http: httpx.Client) -> tuple[float, float]:
    """(ms until input_required, ms from tasks/update until completed)."""
    started = time.perf_counter()
    task = rpc(http, "tools/call", {"name": "approval", "arguments": {"title": "bench"}})
    if task["status"] != "input_required":
        task = poll(http, task["taskId"], "input_required")
    asked = time.perf_counter()
    key = next(iter(task["inputRequests"]))
    answer = {key: {"action": "accept", "content": {"approved": True}}}
    rpc(http, "tasks/update", {"taskId": task["taskId"], "inputResponses": answer})
    poll(http, task["taskId"], "completed")
    return (asked - started) * 1000, (time.perf_counter() - asked) * 1000


def timed(
    calls: dict[str, Callable[[httpx.Client], None]], http: httpx.Client, rounds: int
) -> dict[str, list[float]]:
    """Milliseconds per call, the variants interleaved round by round so the machine's load (shared
    with other work) falls on each alike."""
    for call in calls.values():
        call(http)  # warm: first imports of each handler
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call(http)
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"| {name} | {len(samples)} | {statistics.median(samples):.0f} | {p95:.0f} | {max(samples):.0f} |"


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    with LocalCloud(), httpx.Client(base_url=serve(create_app()), timeout=60) as http:
        echo = timed(
            {
                "v1: POST /v1/runs, then GET .../wait": v1_echo,
                "MCP: tools/call (JSON)": mcp_echo,
                "MCP: tools/call with a progress token (SSE)": mcp_echo_progress,
            },
            http,
            rounds,
        )
        approval_task(http)
        flows = [approval_task(http) for _ in range(max(5, rounds // 3))]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# The MCP door on the local stack",
        "",
        f"`bench/mcp.py {rounds}` at {commit}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, one run on a shared",
        "2-core machine (other work running): milliseconds as a client waits for each, over real HTTP on",
        "127.0.0.1 (the local gateway, moto, the handlers in-process).",
        "",
        "An `echo` run, start to output (the three interleaved round by round):",
        "",
        "| how | rounds | p50 ms | p95 ms | max ms |",
        "| --- | --- | --- | --- | --- |",
        *(row(name, samples) for name, samples in echo.items()),
        "",
        "The call with a progress token waits as the JSON one does (polling the run item every 0.2 s), then",
        "reads the run's events once for the notifications: one more pass over them, and a longer body.",
        "",
        "An `approval` run as a task (the client polls tasks/get every 50 ms):",
        "",
        "| step | rounds | p50 ms | p95 ms | max ms |",
        "| --- | --- | --- | --- | --- |",
        row("tools/call until the task is input_required", [a for a, _ in flows]),
        row("tasks/update until tasks/get says completed", [b for _, b in flows]),
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

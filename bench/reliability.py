"""Fault campaign on the local stack: faults injected into the AWS calls and processes of echo, approval
and ACP thread runs (agent_runtime_local.faults), then restarts of `agent-runtime dev` (a clean stop
and kill -9). Counts, per fault kind, the runs affected and recovered, events lost (a gap in a run's
event ids) and webhooks lost (an event whose delivery never reached the receiver), and what survived
each restart. Writes bench/reports/reliability.md (+ .json); docs/reliability.md quotes its table.

Run: .venv/bin/python bench/reliability.py   (bounded: about 5 minutes; binds only 127.0.0.1)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.webhook_receiver import receiver  # noqa: E402 - a real loopback receiver, shared with the tests

REPORT = ROOT / "bench" / "reports" / "reliability.md"
RUNS_PER_KIND = 4
RUN_TIMEOUT = 150.0  # a first execution on the express machine is waited out for its bound (60 s)
ENVIRONMENT = {
    "AGENT_RUNTIME_LOCAL_SCHEDULE_SECONDS": "1",  # the reconciler's period
    "RECONCILE_GRACE_SECONDS": "2",
    "WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
    "WEBHOOK_BACKOFF_CAP_SECONDS": "1",
}
DOC_INPUT = {"title": "Q4 plan", "points": ["ship it"], "reviewer": "ana"}
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}
ECHO = {"message": "x"}


def create(http: httpx.Client, workflow: str, input: Any, **extra: Any) -> str:
    reply = http.post("/v1/runs", json={"workflow": {"name": workflow}, "input": input, **extra})
    run_id: str = reply.json()["run_id"]
    return run_id


@dataclass
class Tally:
    kind: str
    workflow: str
    faults_fired: int = 0
    runs: int = 0
    recovered: int = 0  # ended as they would have without the fault
    terminal: int = 0
    events_lost: int = 0
    duplicate_resolutions: int = 0
    webhooks_expected: int = 0
    webhooks_lost: int = 0
    notes: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Stack:
    """The in-process local stack behind its HTTP gateway on 127.0.0.1, as `make dev` runs it."""

    def __init__(self) -> None:
        import uvicorn

        from agent_runtime_local.cloud import LocalCloud
        from agent_runtime_local.gateway import create_app

        self.cloud = LocalCloud(environment=ENVIRONMENT)
        self.cloud.start()
        port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="error")
        )
        threading.Thread(target=self.server.run, daemon=True).start()
        while not self.server.started:
            time.sleep(0.05)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def close(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.cloud.stop()


def wait(http: httpx.Client, run_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}").json()
        if run["status"] in statuses or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def events_of(http: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while True:
        after = str(events[-1]["id"]) if events else "0"
        page = http.get(f"/v1/runs/{run_id}/events", params={"after": after, "limit": "500"}).json()
        events += page["data"]
        if page["next_cursor"] is None or not page["data"]:
            return events


def check(http: httpx.Client, tally: Tally, run_id: str, want: str, hooks: Any = None) -> None:
    run = wait(http, run_id, TERMINAL)
    tally.runs += 1
    tally.terminal += run["status"] in TERMINAL
    tally.recovered += run["status"] == want
    if run["status"] != want:
        tally.notes.append(f"{run_id[:8]} ended {run['status']}: {run.get('error')}")
    events = events_of(http, run_id)
    ids = [e["id"] for e in events]
    tally.events_lost += len(set(range(1, max(ids, default=0) + 1)) - set(ids))
    tally.duplicate_resolutions += max(0, [e["type"] for e in events].count("checkpoint.resolved") - 1)
    if hooks is not None:
        from agent_runtime.engine.webhooks.dispatch import LIFECYCLE_EVENTS

        expected = {e["id"] for e in events if e["type"] in LIFECYCLE_EVENTS}
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            got = {r.json["event_id"] for r in hooks.accepted() if r.json.get("run_id") == run_id}
            if expected <= got:
                break
            time.sleep(0.2)
        tally.webhooks_expected += len(expected)
        tally.webhooks_lost += len(expected - got)


Scenario = Callable[[Stack, Tally], None]


def _approve(http: httpx.Client, run_id: str) -> int:
    wait(http, run_id, {"waiting_for_input"})
    return http.post(f"/v1/runs/{run_id}/checkpoints/review-1/approve", json={}).status_code


def campaign() -> list[Tally]:
    from agent_runtime_local.faults import Fault, injected

    def step_commit_throttled(stack: Stack, tally: Tally) -> None:
        run_id = create(stack.http, "echo", ECHO)
        with injected(Fault("dynamodb:TransactWriteItems", function="step_worker", match=run_id)) as faults:
            check(stack.http, tally, run_id, "succeeded")
        tally.faults_fired += sum(f.hits for f in faults)

    def step_worker_killed(stack: Stack, tally: Tally) -> None:
        run_id = create(stack.http, "echo", ECHO)
        fault = Fault("dynamodb:TransactWriteItems", function="step_worker", match=run_id, kill=True)
        with injected(fault):
            check(stack.http, tally, run_id, "succeeded")
        tally.faults_fired += fault.hits

    def start_throttled(stack: Stack, tally: Tally) -> None:
        fault = Fault("states:StartExecution", times=None)
        with injected(fault):
            reply = stack.http.post(
                "/v1/runs", json={"workflow": {"name": "echo"}, "input": {"message": "x"}}
            )
        tally.faults_fired += fault.hits
        if reply.status_code != 201:
            tally.notes.append(f"create answered {reply.status_code} while StartExecution was throttled")
        check(stack.http, tally, reply.json()["run_id"], "succeeded")

    def checkpoint_worker_killed(stack: Stack, tally: Tally) -> None:
        run_id = create(stack.http, "approval", DOC_INPUT)
        fault = Fault("dynamodb:UpdateItem", function="checkpoint_worker", match=run_id, kill=True)
        with injected(fault):
            _approve(stack.http, run_id)
        tally.faults_fired += fault.hits
        check(stack.http, tally, run_id, "succeeded")

    def resume_throttled(stack: Stack, tally: Tally) -> None:
        run_id = create(stack.http, "approval", DOC_INPUT)
        wait(stack.http, run_id, {"waiting_for_input"})
        fault = Fault("states:SendTaskSuccess", times=None)
        with injected(fault):
            status = _approve(stack.http, run_id)
        tally.faults_fired += fault.hits
        if status != 200:
            tally.notes.append(f"approve answered {status} while SendTaskSuccess was throttled")
        check(stack.http, tally, run_id, "succeeded")

    def artifact_write_throttled(stack: Stack, tally: Tally) -> None:
        run_id = create(stack.http, "approval", DOC_INPUT)
        wait(stack.http, run_id, {"waiting_for_input"})
        fault = Fault("s3:PutObject", function="step_worker", times=1)
        with injected(fault):
            _approve(stack.http, run_id)
            check(stack.http, tally, run_id, "succeeded")
        tally.faults_fired += fault.hits

    def acp_thread_commit_throttled(stack: Stack, tally: Tally) -> None:
        from agent_runtime.acp.agents import agent_id
        from agent_runtime.workflows.registry import registry

        thread_id = stack.http.post("/threads", json={}).json()["thread_id"]
        body = {
            "agent_id": agent_id(registry().get("echo_agent")),
            "input": {"messages": [{"type": "human", "content": "x"}]},
        }
        fault = Fault("dynamodb:TransactWriteItems", function="step_worker", times=1)
        with injected(fault):
            run = stack.http.post(f"/threads/{thread_id}/runs", json=body).json()
            check(stack.http, tally, run["run_id"], "succeeded")
        tally.faults_fired += fault.hits
        state = stack.http.get(f"/threads/{thread_id}").json()
        if state["status"] != "idle":
            tally.notes.append(f"thread {thread_id[:8]} left {state['status']}")

    def webhooks_throttled_and_killed(stack: Stack, tally: Tally) -> None:
        with receiver() as hooks:
            faults = (
                Fault("sqs:SendMessage", function="webhook_dispatcher", times=1),
                Fault("sqs:SendMessage", function="webhook_dispatcher", times=1, kill=True),
                Fault("dynamodb:UpdateItem", function="webhook_delivery", times=1, kill=True),
            )
            with injected(*faults):
                body = {"workflow": {"name": "echo"}, "input": {"message": "x"}, "callback_url": hooks.url}
                run_id = stack.http.post("/v1/runs", json=body).json()["run_id"]
                check(stack.http, tally, run_id, "succeeded", hooks)
            tally.faults_fired += sum(f.hits for f in faults)

    scenarios: list[tuple[str, str, Scenario]] = [
        ("DynamoDB commit of a step throttled", "echo", step_commit_throttled),
        ("step worker killed after its commit", "echo", step_worker_killed),
        ("StartExecution throttled, persistently", "echo", start_throttled),
        ("checkpoint worker killed after storing its token", "approval", checkpoint_worker_killed),
        ("SendTaskSuccess throttled, persistently", "approval", resume_throttled),
        ("S3 artifact write throttled", "approval", artifact_write_throttled),
        ("ACP thread run: step commit throttled", "echo_agent", acp_thread_commit_throttled),
        (
            "webhook queue throttled, dispatcher and sender killed",
            "echo + webhook",
            webhooks_throttled_and_killed,
        ),
    ]
    stack = Stack()
    stack.http.post("/v1/webhook-secret/rotate")
    tallies: list[Tally] = []
    try:
        for kind, workflow, scenario in scenarios:
            tally = Tally(kind, workflow)
            for _ in range(RUNS_PER_KIND):
                scenario(stack, tally)
            tallies.append(tally)
            print(json.dumps(asdict(tally)), flush=True)
    finally:
        stack.close()
    return tallies


@dataclass
class Restart:
    how: str
    runs_before: int
    runs_after: int
    events_before: int
    events_after: int
    waiting_answerable: bool
    executing_finished: bool
    key_works: bool
    artifact_downloads: bool
    seconds_after_last_answer: float


def restarts() -> list[Restart]:
    """`agent-runtime dev --data-dir` as a user runs it: stopped with Ctrl-C (SIGINT) once and killed
    with SIGKILL once, each about a second after its last answer, then started again."""
    results = []
    for how, sig in (("stop (Ctrl-C)", signal.SIGINT), ("kill -9", signal.SIGKILL)):
        with tempfile.TemporaryDirectory(prefix="agent-runtime-bench-") as data_dir:
            results.append(_restart(how, sig, Path(data_dir)))
    return results


def _dev(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **ENVIRONMENT}
    command = [
        str(ROOT / ".venv" / "bin" / "agent-runtime"),
        "dev",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/workflows", timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("agent-runtime dev did not start")


def _restart(how: str, sig: signal.Signals, data_dir: Path) -> Restart:
    port = free_port()
    process = _dev(data_dir, port)
    try:
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        from agent_runtime_local.local_routes import ADMIN_PATH

        key = http.post(ADMIN_PATH, json={"tenant": "bench"})
        api_key = key.json().get("key") if key.status_code == 201 else None
        echo = [
            http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {"message": str(i)}}).json()[
                "run_id"
            ]
            for i in range(5)
        ]
        for run_id in echo:
            wait(http, run_id, TERMINAL)
        waiting = create(http, "approval", DOC_INPUT)
        wait(http, waiting, {"waiting_for_input"})
        runs_before = len(http.get("/v1/runs", params={"limit": "100"}).json()["data"])
        events_before = sum(len(events_of(http, r)) for r in [*echo, waiting])
        answered_at = time.monotonic()
        time.sleep(1.0)
    finally:
        process.send_signal(sig)
        process.wait(timeout=60)
    seconds = time.monotonic() - answered_at
    process = _dev(data_dir, port)
    try:
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        runs_after = len(http.get("/v1/runs", params={"limit": "100"}).json()["data"])
        events_after = sum(len(events_of(http, r)) for r in [*echo, waiting])
        approved = _approve(http, waiting) == 200
        finished = wait(http, waiting, TERMINAL)["status"] == "succeeded"
        artifacts = http.get(f"/v1/runs/{waiting}/artifacts").json()["data"]
        if artifacts:
            artifact = http.get(f"/v1/artifacts/{artifacts[0]['artifact_id']}").json()
        downloads = bool(artifacts) and httpx.get(artifact["download_url"], timeout=10).status_code == 200
        key_works = api_key is not None and (
            http.get("/v1/runs", headers={"Authorization": f"Bearer {api_key}"}).status_code == 200
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    return Restart(
        how,
        runs_before,
        runs_after,
        events_before,
        events_after,
        approved,
        finished,
        key_works,
        downloads,
        seconds,
    )


def write(tallies: list[Tally], restarted: list[Restart]) -> None:
    lines = [
        "# Reliability: faults injected and restarts survived",
        "",
        f"{time.strftime('%Y-%m-%d')}, `bench/reliability.py`, local stack on this 2-core machine. "
        f"{RUNS_PER_KIND} runs per fault kind; a fault fires before the SDK's retries would (the strictest "
        "throttle) or kills the function's process right after its write took effect.",
        "",
        "| fault injected | workflow | faults fired | runs affected | runs recovered | ended terminal "
        "| events lost | checkpoints resolved twice | webhooks lost |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in tallies:
        hooks = f"{t.webhooks_lost} of {t.webhooks_expected}" if t.webhooks_expected else "-"
        lines.append(
            f"| {t.kind} | {t.workflow} | {t.faults_fired} | {t.runs} | {t.recovered} | {t.terminal} "
            f"| {t.events_lost} | {t.duplicate_resolutions} | {hooks} |"
        )
    notes = [f"- {t.kind}: {n}" for t in tallies for n in t.notes]
    if notes:
        lines += ["", "Notes:", *notes]
    lines += [
        "",
        "## Restarts of `agent-runtime dev --data-dir`",
        "",
        "| how | s after last answer | runs before → after | events before → after | waiting run answered "
        "and finished | API key works | artifact downloads |",
        "| --- | ---: | --- | --- | --- | --- | --- |",
    ]
    for r in restarted:
        lines.append(
            f"| {r.how} | {r.seconds_after_last_answer:.1f} | {r.runs_before} → {r.runs_after} "
            f"| {r.events_before} → {r.events_after} | {r.waiting_answerable and r.executing_finished} "
            f"| {r.key_works} | {r.artifact_downloads} |"
        )
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    REPORT.with_suffix(".json").write_text(
        json.dumps(
            {"faults": [asdict(t) for t in tallies], "restarts": [asdict(r) for r in restarted]}, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    print("\n".join(lines))


def main() -> None:
    tallies = campaign()
    write(tallies, restarts())


if __name__ == "__main__":
    main()

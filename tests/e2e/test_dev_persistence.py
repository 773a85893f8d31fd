"""`agent-runtime dev --data-dir` as a real process: what it held is there after a stop and after a
`kill -9`, and a run that was waiting for a human is still answerable (the answer stands, and the
reconciler re-drives the run, which has no execution after a restart, from its last finished step)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import free_port, wait_until_serving

pytestmark = pytest.mark.timeout(360)

START_SECONDS = 120  # a loaded 2-core machine starts it in ~10-60 s
WAIT_SECONDS = 30


@contextmanager
def dev(data_dir: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    """The stack on 127.0.0.1:`port` keeping its state in `data_dir`; killed (-9) if still running."""
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "BUCKET_NAME", "STATE_MACHINE_ARN"}}
    # The reconciler sweeps every second and re-drives a run untouched for a second.
    env.update({"AGENT_RUNTIME_LOCAL_SCHEDULE_SECONDS": "1", "RECONCILE_GRACE_SECONDS": "1"})
    command = [sys.executable, "-m", "agent_runtime_local.cli", "dev", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir), "--tenant-rate", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}", START_SECONDS)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def wait_status(http: httpx.Client, run_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, f"run {run_id} is {run['status']}, wanted {statuses}"
        time.sleep(0.1)


def approve(http: httpx.Client, run_id: str) -> httpx.Response:
    return http.post(f"/v1/runs/{run_id}/checkpoints/review-1/approve", json={"comment": "ok"})


APPROVAL = {"workflow": {"name": "approval"}, "input": {"title": "Q4", "points": ["ship"], "reviewer": "ana"}}


def test_runs_events_checkpoints_threads_artifacts_and_keys_survive_a_stop_and_a_kill_9(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with dev(tmp_path, port) as process, httpx.Client(base_url=base, timeout=30) as http:
        echo = http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {"n": 1}}).json()["run_id"]
        published = http.post("/v1/runs", json=APPROVAL).json()["run_id"]
        waiting = http.post("/v1/runs", json=APPROVAL).json()["run_id"]
        wait_status(http, echo, {"succeeded"})
        for run_id in (published, waiting):
            wait_status(http, run_id, {"waiting_for_input"})
        assert approve(http, published).status_code == 200
        artifact_id = wait_status(http, published, {"succeeded"})["output"]["artifact_id"]
        key = http.post("/_local/api-keys", json={"tenant": "acme"}).json()["key"]
        at_itself = http.post("/v1/runs", json={**APPROVAL, "callback_url": f"{base}/v1/runs"})
        assert at_itself.status_code == 422, at_itself.text  # webhooks can't call the gateway itself
        thread = http.post("/threads", json={"metadata": {"team": "ops"}}).json()
        events_before = http.get(f"/v1/runs/{echo}/events").json()["data"]
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output

    # A stop: everything is there, and the run that waited for a human is answered.
    with dev(tmp_path, port) as process, httpx.Client(base_url=base, timeout=30) as http:
        assert http.get(f"/v1/runs/{echo}").json()["output"] == {"n": 1}
        assert http.get(f"/v1/runs/{echo}/events").json()["data"] == events_before
        artifact = http.get(f"/v1/artifacts/{artifact_id}").json()
        assert b"Q4" in httpx.get(artifact["download_url"]).content
        assert http.get(f"/threads/{thread['thread_id']}").json()["metadata"] == {"team": "ops"}
        keyed = httpx.get(f"{base}/v1/runs", headers={"Authorization": f"Bearer {key}"})
        assert keyed.status_code == 200 and keyed.json()["data"] == []  # acme's own, empty tenant
        inbox = http.get("/v1/checkpoints", params={"status": "pending"}).json()["data"]
        assert waiting in {c["run_id"] for c in inbox}
        reply = approve(http, waiting)
        assert reply.status_code == 200, reply.text
        assert wait_status(http, waiting, {"succeeded", "failed"})["status"] == "succeeded"
        # Then a kill -9 a second after the last answer.
        late = http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {"a": 2}}).json()["run_id"]
        again = http.post("/v1/runs", json=APPROVAL).json()["run_id"]
        wait_status(http, late, {"succeeded"})
        wait_status(http, again, {"waiting_for_input"})
        late_events = http.get(f"/v1/runs/{late}/events").json()["data"]
        time.sleep(1)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    with dev(tmp_path, port), httpx.Client(base_url=base, timeout=30) as http:
        assert http.get(f"/v1/runs/{late}").json()["status"] == "succeeded"
        assert http.get(f"/v1/runs/{late}/events").json()["data"] == late_events
        assert http.get(f"/v1/runs/{waiting}").json()["status"] == "succeeded"
        assert approve(http, again).status_code == 200
        assert wait_status(http, again, {"succeeded", "failed"})["status"] == "succeeded"

"""`agent-runtime dev` (what `make dev` runs) as a real process on a free port: the README session,
then Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from tests.e2e.conftest import free_port, stream_until_end, wait_until_serving
from tests.webhook_receiver import receiver


def deliveries(base: str, run_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = httpx.get(f"{base}/v1/runs/{run_id}/deliveries").json()["data"]
    return listed


def test_dev_server_serves_the_readme_session_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "BUCKET_NAME", "STATE_MACHINE_ARN"}}
    process = subprocess.Popen(
        [sys.executable, "-m", "agent_runtime_local.cli", "dev", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,  # where its default data dir, .agent-runtime/, goes
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base, 120)
        run = httpx.post(
            f"{base}/v1/runs",
            json={"workflow": {"name": "echo", "version": "0.1.0"}, "input": {"hello": "world"}},
        ).json()
        with httpx.Client(base_url=base, timeout=30) as http:
            types = stream_until_end(http, f"/v1/runs/{run['run_id']}/events")
        assert types[0] == "run.created"
        assert types[-2:] == ["run.succeeded", "end"]
        got = httpx.get(f"{base}/v1/runs/{run['run_id']}").json()
        assert (got["status"], got["output"]) == ("succeeded", {"hello": "world"})
        # Webhooks work on make dev: signed deliveries to a loopback receiver, listed by the API.
        secret = httpx.post(f"{base}/v1/webhook-secret/rotate").json()["secret"]
        with receiver() as hooks:
            hooked = httpx.post(
                f"{base}/v1/runs", json={"workflow": {"name": "echo"}, "input": {}, "callback_url": hooks.url}
            ).json()
            deadline = time.monotonic() + 20
            while len(hooks.accepted()) < 3:
                assert time.monotonic() < deadline, "webhooks did not arrive"
                time.sleep(0.1)
            # (a delivery is recorded delivered after its receiver answered: a moment after it was heard)
            listed = deliveries(base, hooked["run_id"])
            while any(d["status"] == "pending" for d in listed):
                assert time.monotonic() < deadline, "deliveries were not recorded"
                time.sleep(0.1)
                listed = deliveries(base, hooked["run_id"])
        types = [Webhook(secret).verify(r.body, r.headers)["type"] for r in hooks.accepted()]
        assert sorted(types) == sorted(["run.created", "run.started", "run.succeeded"])
        assert [d["status"] for d in listed] == ["delivered"] * 3
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}" in output
    assert "stopped" in output

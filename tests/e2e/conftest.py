"""Helpers for tests that drive the local stack over real HTTP: a free port, waiting for `agent-runtime
dev` to serve, reading an SSE stream to its end. The HTTP fixtures themselves (`base_url`, `api_key`,
`http`) are tests/conftest.py's, so every folder has them."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx
from httpx_sse import connect_sse


def wait_until_serving(process: subprocess.Popen[str], base: str, seconds: float) -> None:
    """Until `agent-runtime dev` (`process`) answers on `base`; fails with its output if it exits."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/v1/workflows", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "dev server did not come up"
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stream_until_end(http: httpx.Client, path: str, windows: int = 20) -> list[str]:
    """The event types of a run's SSE stream, read the documented way: a window may close before the
    run ends (it closes once it has sent events and a poll finds nothing new), so reconnect with
    Last-Event-ID until `end` (at most `windows` windows)."""
    types: list[str] = []
    last_id: str | None = None
    for _window in range(windows):
        headers = {"Last-Event-ID": last_id} if last_id else {}
        with connect_sse(http, "GET", path, headers=headers) as source:
            for sse in source.iter_sse():
                types.append(sse.event)
                last_id = sse.id or last_id
        if types and types[-1] == "end":
            break
    return types

"""The local stack's HTTP gateway served by uvicorn on a free 127.0.0.1 port, for real HTTP tests."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from httpx_sse import connect_sse

from agent_runtime.engine import Engine
from agent_runtime_local.cloud import Resources
from agent_runtime_local.gateway import create_app


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


@pytest.fixture(scope="session")
def base_url(cloud: Resources) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("local gateway did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def api_key(cloud: Resources, tenant: str) -> str:
    return Engine.default().api_keys.create(tenant)


@pytest.fixture
def http(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as this test's own tenant."""
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    ) as client:
        yield client


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

"""A webhook receiver on 127.0.0.1 for tests: an http.server in a thread whose answer to each attempt
the test scripts, and which records every request it gets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int  # the status code the receiver answered with (0: it timed out on purpose)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


# What to do with the n-th attempt (1-based) of one webhook-id: a status code, ("sleep", seconds), or
# (status, {headers}).
Script = Callable[[int], Any]


class Receiver:
    def __init__(self, script: Script | None = None) -> None:
        self.script: Script = script or (lambda n: 200)
        self.received: list[Received] = []
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    n = receiver._attempts[headers.get("webhook-id", "")] = (
                        receiver._attempts.get(headers.get("webhook-id", ""), 0) + 1
                    )
                action = receiver.script(n)
                if isinstance(action, tuple) and action[0] == "sleep":
                    with receiver._lock:
                        receiver.received.append(Received(headers, body, 0))
                    time.sleep(action[1])
                    return
                status, extra = action if isinstance(action, tuple) else (action, {})
                with receiver._lock:
                    receiver.received.append(Received(headers, body, status))
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.answered < 300]

    def all(self) -> list[Received]:
        with self._lock:
            return list(self.received)


@contextmanager
def receiver(script: Script | None = None) -> Iterator[Receiver]:
    r = Receiver(script)
    thread = threading.Thread(target=r.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()
        thread.join(timeout=5)

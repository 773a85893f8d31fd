"""Faults injected on the client's side of the connection, in front of the real local stack: an SSE
response cut after some of its events (with the next event torn in half), a response lost after the
server acted on the request, a response the server never sent (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import httpx

SSE = "text/event-stream"


def cut_after(body: bytes, events: int) -> bytes | None:
    """The window's bytes up to the end of its `events`-th event plus half of the next one, or None
    when the window doesn't hold another event after those (nothing to cut)."""
    offset, seen = 0, 0
    while seen < events:
        end = body.find(b"\n\n", offset)
        if end < 0:
            return None
        if b"id: " in body[offset:end]:
            seen += 1
        offset = end + 2
    following = body.find(b"\n\n", offset)
    if following < 0 or b"id: " not in body[offset:following]:
        return None  # no further event: only `end` or the closing comment would be lost
    return body[: offset + (following - offset) // 2]


@dataclass
class Plan:
    """How many events each SSE response keeps before the connection drops (cycling through `keep`),
    for the first `drops` responses that hold more than that."""

    drops: int
    keep: tuple[int, ...] = (1, 2, 3)
    done: int = 0
    windows: int = 0
    requests: list[httpx.Request] = field(default_factory=list)
    lose_response: Callable[[httpx.Request], bool] = lambda request: False
    fake: Callable[[httpx.Request], httpx.Response | None] = lambda request: None

    def cut(self, body: bytes) -> bytes | None:
        self.windows += 1
        if self.done >= self.drops:
            return None
        cut = cut_after(body, self.keep[self.done % len(self.keep)])
        if cut is not None:
            self.done += 1
        return cut


class _Dropped(httpx.SyncByteStream):
    def __init__(self, body: bytes, request: httpx.Request) -> None:
        self.body, self.request = body, request

    def __iter__(self) -> Iterator[bytes]:
        yield self.body
        raise httpx.ReadError("injected: the connection dropped mid-window", request=self.request)


class _AsyncDropped(httpx.AsyncByteStream):
    def __init__(self, body: bytes, request: httpx.Request) -> None:
        self.body, self.request = body, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body
        raise httpx.ReadError("injected: the connection dropped mid-window", request=self.request)


class Faults(httpx.BaseTransport):
    """Real HTTP to the server, then the plan's faults on the way back."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.plan.requests.append(request)
        if (fake := self.plan.fake(request)) is not None:
            return fake
        response = self.inner.handle_request(request)
        if self.plan.lose_response(request):
            response.read()
            response.close()
            raise httpx.ReadError("injected: the response was lost after the server acted", request=request)
        if response.headers.get("content-type", "").startswith(SSE):
            body = response.read()
            cut = self.plan.cut(body)
            if cut is not None:
                return httpx.Response(response.status_code, headers=response.headers,
                                      stream=_Dropped(cut, request))  # fmt: skip
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncFaults(httpx.AsyncBaseTransport):
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.plan.requests.append(request)
        if (fake := self.plan.fake(request)) is not None:
            return fake
        response = await self.inner.handle_async_request(request)
        if self.plan.lose_response(request):
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("injected: the response was lost after the server acted", request=request)
        if response.headers.get("content-type", "").startswith(SSE):
            body = await response.aread()
            cut = self.plan.cut(body)
            if cut is not None:
                return httpx.Response(response.status_code, headers=response.headers,
                                      stream=_AsyncDropped(cut, request))  # fmt: skip
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def once(predicate: Callable[[httpx.Request], bool]) -> Callable[[httpx.Request], bool]:
    """True for the first request matching `predicate`, then never again."""
    fired = False

    def check(request: httpx.Request) -> bool:
        nonlocal fired
        if fired or not predicate(request):
            return False
        fired = True
        return True

    return check

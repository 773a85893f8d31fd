"""Requests held open (long polls, SSE windows, blocking sends), per tenant, in the local gateway.

The throttle (throttle.py) limits requests started per second; a held-open request lasts up to 25 s,
so a tenant within its rate could still take every thread the gateway has. Each tenant's held-open
requests run on threads of their own (an anyio CapacityLimiter per tenant, not the shared default
limiter every other request uses) and at most `limit` at once: one more is refused, not queued, so a
tenant's long polls never delay another tenant's requests nor its own short ones."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import anyio


class TenantHolds:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a tenant needs room for at least one held-open request")
        self.limit = limit
        self._limiters: dict[str, anyio.CapacityLimiter] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, tenant: str) -> Iterator[anyio.CapacityLimiter | None]:
        """The tenant's own limiter to run one held-open request on, or None when it holds `limit`
        already (the caller answers 429)."""
        with self._lock:
            if self._held.get(tenant, 0) >= self.limit:
                limiter = None
            else:
                self._held[tenant] = self._held.get(tenant, 0) + 1
                limiter = self._limiters.setdefault(tenant, anyio.CapacityLimiter(self.limit))
        try:
            yield limiter
        finally:
            if limiter is not None:
                with self._lock:
                    self._held[tenant] -= 1
                    if not self._held[tenant]:
                        del self._held[tenant]  # an idle tenant keeps nothing but its limiter

    def held(self, tenant: str) -> int:
        with self._lock:
            return self._held.get(tenant, 0)

"""A circuit breaker per tenant and endpoint (scheme://host:port): after webhook_breaker_failures
retryable failures in a row, no attempt goes to the endpoint for webhook_breaker_seconds; the first
attempt after that is the probe (a failure opens the circuit again at once, a success closes it).
Deliveries due while it is open wait for it, so a receiver that is down, or that answers
`429 Retry-After: 0`, gets a bounded number of requests whatever it answers."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

from agent_runtime.store.endpoint_items import EndpointHealth, EndpointItems

# Writes a failure tries before it gives up on a contended endpoint item (each loss means another
# attempt's record went in; past this many the count is short by one, and the breaker still opens).
RECORD_TRIES = 5


def endpoint(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = 0
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


class Breaker:
    def __init__(
        self, items: EndpointItems, tenant_id: str, url: str, *, failures: int, seconds: float, now: float
    ) -> None:
        self.items = items
        self.now = now  # epoch seconds of the attempt it guards (the sender's clock)
        self.failures, self.seconds = failures, seconds  # the thresholds: the sender's settings
        self.tenant_id = tenant_id
        self.endpoint = endpoint(url)
        self.seen = items.get(tenant_id, self.endpoint)

    def open_until(self) -> float | None:
        """When the next attempt may go (spread over a tenth of the open time, so the deliveries that
        waited don't all come back at once), or None if the circuit is closed."""
        if self.seen.open_until <= self.now:
            return None
        return self.seen.open_until + random.uniform(0, self.seconds / 10)

    def failed(self) -> None:
        """Count the failure. Attempts that fail at once all count: one that loses the write reads the
        count again and adds to it (else N deliveries failing together would count as one, and the
        circuit would open only after N times the failures it allows)."""
        now = self.now
        for _ in range(RECORD_TRIES):
            failures = self.seen.failures + 1
            opens = failures >= self.failures
            health = EndpointHealth(failures, now + self.seconds if opens else self.seen.open_until, 0)
            if self.items.put(self.tenant_id, self.endpoint, health, self.seen, now):
                return
            self.seen = self.items.get(self.tenant_id, self.endpoint, consistent=True)

    def succeeded(self) -> None:
        if self.seen.failures:
            self.items.put(self.tenant_id, self.endpoint, EndpointHealth(0, 0.0, 0), self.seen, self.now)

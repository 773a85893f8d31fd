"""Per-tenant request throttling in the local gateway: a token bucket per tenant, as the API Gateway
usage plan of each tenant does in the cloud (functions/manifest.py TENANT_THROTTLE). A tenant over its
rate gets 429 with Retry-After; the others are unaffected. Requests whose key the authorizer refused
count against their client address (BAD_KEYS): past it, that address's requests with credentials get
429 before any key is checked, so keys can't be guessed at full speed."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from functions import manifest

# Unknown keys per client address: a burst of 20, then one a second.
BAD_KEYS = manifest.Throttle(rate_per_second=1, burst=20)


@dataclass
class _Bucket:
    tokens: float
    at: float


class TenantBuckets:
    def __init__(self, limit: manifest.Throttle) -> None:
        if limit.rate_per_second <= 0 or limit.burst < 1:
            raise ValueError("a throttle needs a positive rate and a burst of at least 1")
        self.limit = limit
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def empty(self, key: str) -> int | None:
        """The seconds to wait if `key`'s bucket has no token now (spending none), else None."""
        now = time.monotonic()
        rate, burst = self.limit.rate_per_second, self.limit.burst
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return None
            tokens = min(float(burst), bucket.tokens + (now - bucket.at) * rate)
            return None if tokens >= 1 else max(1, math.ceil((1 - tokens) / rate))

    def take(self, tenant: str) -> int | None:
        """Spend one token of `tenant`'s bucket: None if there was one, else the seconds to wait."""
        now = time.monotonic()
        rate, burst = self.limit.rate_per_second, self.limit.burst
        with self._lock:
            bucket = self._buckets.setdefault(tenant, _Bucket(float(burst), now))
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return max(1, math.ceil((1 - bucket.tokens) / rate))

"""Time: RFC 3339 UTC timestamps with milliseconds for everything stored and shown, and epoch
seconds where DynamoDB needs a number (TTLs, expiry checks)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_seconds() -> int:
    return int(time.time())

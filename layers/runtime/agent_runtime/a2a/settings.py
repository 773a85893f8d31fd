"""The A2A door's own settings, read from the environment once (the engine's are config.py's)."""

from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def wait_seconds() -> float:
    """How long A2A's blocking SendMessage and its streams hold a request, at most: A2A_WAIT_SECONDS
    (25 s by default, under API Gateway's 29 s)."""
    return float(os.environ.get("A2A_WAIT_SECONDS", 25.0))

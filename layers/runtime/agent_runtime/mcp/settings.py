"""The MCP door's own settings, read from the environment once (the engine's are config.py's)."""

from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def wait_seconds() -> float:
    """How long MCP's tools/call (and its task results) hold a request, at most: MCP_WAIT_SECONDS
    (25 s by default, under API Gateway's 29 s)."""
    return float(os.environ.get("MCP_WAIT_SECONDS", 25.0))

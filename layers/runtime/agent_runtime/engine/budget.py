"""What one response may hold. A Lambda response is at most 6 MB, the body escaped inside the proxy
response's JSON, and API Gateway answers 502 for anything larger: a page, an event window or a search
result stops adding items at RESPONSE_BUDGET_BYTES of JSON (leaving room for escaping) and says where
to go on. It always holds the first item, and every single item fits on its own: request bodies and
outputs are at most 2 MiB, event data and checkpoint payloads at most 1 MiB (docs/decisions.md 24).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

RESPONSE_BUDGET_BYTES = 4 * 1024 * 1024
Item = TypeVar("Item")


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def take(items: Iterable[Item], size: Callable[[Item], int] = json_size) -> list[Item]:
    """The first items whose JSON fits the budget together (at least one, if there is one)."""
    taken: list[Item] = []
    total = 0
    for item in items:
        item_size = size(item)
        if taken and total + item_size > RESPONSE_BUDGET_BYTES:
            break
        taken.append(item)
        total += item_size
    return taken

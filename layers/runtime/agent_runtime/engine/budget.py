"""What one response may hold. A Lambda response is at most 6 MB, the body escaped inside the proxy
response's JSON, and API Gateway answers 502 for anything larger: a page, an event window or a search
result stops adding items at RESPONSE_BUDGET_BYTES of JSON (leaving room for escaping) and says where
to go on. It always holds the first item, and every single item fits on its own: request bodies and
outputs are at most 2 MiB, event data and checkpoint payloads at most 1 MiB (docs/decisions.md 24).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from agent_runtime.store.payloads import to_json

RESPONSE_BUDGET_BYTES = 4 * 1024 * 1024
Item = TypeVar("Item")


# The JSON every response holds: compact, UTF-8 (the store writes values the same way).
compact_json = to_json


def json_size(value: Any) -> int:
    return len(to_json(value).encode())


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

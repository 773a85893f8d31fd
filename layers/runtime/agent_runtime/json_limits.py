"""One rule for how deep a JSON value may nest, applied before anything is written: request bodies,
event data, checkpoint payloads and step results. Deeper values would pass Python's parser yet fail
later (pydantic stops dumping at about 255 levels), after the write, breaking every read of the run."""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64


def depth(value: Any) -> int:
    """How deeply `value` nests (a scalar is 0, [] or {} is 1); iterative, so any depth is measured."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


def too_deep(value: Any) -> bool:
    return depth(value) > MAX_DEPTH

"""What a run used, counted where the work is done and folded into the run's next commit.

The run item holds one number per counter (`usage_<name>`), grown with DynamoDB's ADD by the commits
the engine makes anyway (RunItems.create and .commit), so counting costs no request of its own. A
commit counts itself: the read of the run it guards on and the write units of its transaction. What an
invocation adds besides (its Lambda invocation, the state transitions it stands for, its duration times
memory) waits in a Meter until the run's next commit: the worker makes one per invocation
(engine/usage.py) and builds its engine with it (`Engine.default(meter=)`), which hands it to the run
items (their commits fold it in), the checkpoints and the durable host (they add to it).

Units follow DynamoDB's on-demand rules: a write is ceil(item size / 1 KB) units, twice that inside a
transaction; a strongly consistent read ceil(size / 4 KB). Item sizes are the attribute names' and
values' UTF-8 lengths (numbers as their digits), as DynamoDB sizes them near enough.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from typing import Any

from agent_runtime.store.dynamo import from_item

FIELDS = (
    "transitions",  # Step Functions state transitions
    "lambda_invocations",  # invocations of the workers that ran the run's steps and checkpoints
    "lambda_mb_ms",  # their duration times configured memory (MB times ms), up to the run's last commit
    "lambda_ms",  # their duration (what an Express execution lasts at least)
    "express_executions",  # 1 for a run started on the Express state machine (engine/orchestration.py)
    "write_units",  # DynamoDB write request units of the run's commits
    "read_units",  # DynamoDB read request units of the run's commits
    "bytes_stored",  # bytes of the items the run's commits added (events, checkpoints, the run)
    "events",  # events appended
    "operations",  # durable operations started (engine/durable/): steps, waits, callbacks, invokes...
)
ATTRIBUTE_PREFIX = "usage_"


def attribute(name: str) -> str:
    return ATTRIBUTE_PREFIX + name


def item_size(values: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB bills it (plain values, store/dynamo.py to_attr's types)."""
    size = 0
    for name, value in values.items():
        size += len(name.encode())
        if isinstance(value, str):
            size += len(value.encode())
        elif isinstance(value, bool) or value is None:
            size += 1
        elif isinstance(value, int):
            size += math.ceil(len(str(abs(value))) / 2) + 1
    return size


def write_units(size: int, *, transactional: bool = True) -> int:
    return max(1, math.ceil(size / 1024)) * (2 if transactional else 1)


def read_units(size: int) -> int:
    """A strongly consistent read (every read of the run item is one)."""
    return max(1, math.ceil(size / 4096))


def transaction_usage(entries: list[dict[str, Any]], update_size: int) -> dict[str, int]:
    """Write units and added bytes of a transaction: its update of the run item (`update_size` bytes,
    the larger of before and after) and its other entries, sized from their requests."""
    units, stored = write_units(update_size), 0
    for entry in entries:
        if "Put" in entry:
            size = item_size(from_item(entry["Put"]["Item"]))
            stored += size
        else:  # an update or a condition check: its key and values, a lower bound of the item
            request = next(iter(entry.values()))
            size = item_size(from_item(request["Key"])) + item_size(
                from_item(request.get("ExpressionAttributeValues") or {})
            )
        units += write_units(size)
    return {"write_units": units, "bytes_stored": stored}


class Meter:
    """One invocation's usage for one run, not yet in a commit. Thread-safe: the step's code, the
    durable SDK's branch threads and the event buffer's flusher add to it and commit from it."""

    def __init__(self, run_id: str, memory_mb: int, counts: Mapping[str, int]) -> None:
        self.run_id = run_id
        self.memory_mb = memory_mb
        self.counts = dict(counts)
        self._since = time.monotonic()
        self._lock = threading.Lock()

    def add(self, counts: Mapping[str, int]) -> None:
        with self._lock:
            add(self.counts, counts)

    def take(self) -> dict[str, int]:
        """The counts so far, with the time since the last take, and start again from zero."""
        with self._lock:
            now = time.monotonic()
            counts = dict(self.counts)
            elapsed_ms = int((now - self._since) * 1000)
            counts["lambda_mb_ms"] = counts.get("lambda_mb_ms", 0) + elapsed_ms * self.memory_mb
            counts["lambda_ms"] = counts.get("lambda_ms", 0) + elapsed_ms
            self.counts, self._since = {}, now
            return counts

    def give_back(self, counts: Mapping[str, int]) -> None:
        """Counts taken for a commit that did not happen: the next one carries them."""
        self.add(counts)


def for_run(meter: Meter | None, run_id: str) -> Meter | None:
    """`meter` if it counts for `run_id` (an invocation for one run may touch others: child runs)."""
    return meter if meter is not None and meter.run_id == run_id else None


def add(into: dict[str, int], counts: Mapping[str, int]) -> dict[str, int]:
    for name, value in counts.items():
        if value:
            into[name] = into.get(name, 0) + value
    return into


def of_item(values: Mapping[str, Any]) -> dict[str, int]:
    """A stored run's usage (its `usage_*` attributes; absent ones are zero)."""
    return {name: int(values.get(attribute(name)) or 0) for name in FIELDS}


# Model calls, per model id ("bedrock:<model>", "openai:<model>", "scripted"): kept apart from the
# counters above in one JSON attribute of the run item (MODELS_ATTRIBUTE), since the model ids a run
# uses are not known ahead (store/run_items.py RunItems.add_model_usage).
MODELS_ATTRIBUTE = "usage_models"
MODEL_FIELDS = ("calls", "input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens")
ModelCounts = dict[str, dict[str, int]]


def models_of(raw: str | None) -> ModelCounts:
    """The stored JSON of a run's model usage (absent: none)."""
    import json

    stored = json.loads(raw) if raw else {}
    return {
        model: {name: int(counts.get(name, 0)) for name in MODEL_FIELDS} for model, counts in stored.items()
    }


def add_models(into: ModelCounts, more: Mapping[str, Mapping[str, int]]) -> ModelCounts:
    for model, counts in more.items():
        add(into.setdefault(model, dict.fromkeys(MODEL_FIELDS, 0)), counts)
    return into

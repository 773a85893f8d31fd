"""What the store raises. The engine turns these into domain errors; nothing here knows HTTP."""

from __future__ import annotations

from typing import Any

from agent_runtime.errors import TransientAwsError


class StoreError(Exception):
    pass


class ItemNotFound(StoreError):
    """No item under that key (or not one of the caller's tenant)."""


class ConditionFailed(StoreError):
    """A conditional write found the item not as expected; nothing was written."""


class ChangedMeanwhile(StoreError):
    """A guarded change found the item in another state; `current` is the item as it is now."""

    def __init__(self, current: Any, message: str = "") -> None:
        super().__init__(message or "the item changed meanwhile")
        self.current = current


class EntryConditionFailed(StoreError):
    """The condition on entry `index` of a transaction's extra entries failed; nothing was written."""

    def __init__(self, index: int) -> None:
        super().__init__(f"condition on extra entry {index} failed")
        self.index = index


class KeyTaken(StoreError):
    """An idempotency key already names a run: (run_id, fingerprint of the request that took it)."""

    def __init__(self, run_id: str, fingerprint: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id
        self.fingerprint = fingerprint


class InvalidCursor(StoreError):
    """A paging cursor this store did not issue, or issued for another listing."""


# Throttling, a 5xx, or contention that outlasted the retries: worth trying again later. The state
# machine retries a task failing with it by its name, so the store raises the shared class itself.
Transient = TransientAwsError

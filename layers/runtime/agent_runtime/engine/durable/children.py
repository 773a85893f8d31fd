"""The child runs a durable run has open, read from its stored operations without the SDK (a cancel
handler doesn't pay the SDK's import): the stored form is engine/durable/operations.py `encode`."""

from __future__ import annotations

import uuid

from agent_runtime.store.operation_items import OperationItems

CHILD_NAMESPACE = uuid.UUID("0b6f8e1e-6d2a-4c55-9c1f-2f1f6b1d7a01")


def child_run_id(parent_run_id: str, operation_id: str) -> str:
    """A child run's id: the same for every replay of the invoke that starts it."""
    return str(uuid.uuid5(CHILD_NAMESPACE, f"{parent_run_id}/{operation_id}"))


def open_children(operations: OperationItems, run_id: str) -> list[str]:
    """Ids of the child runs of `run_id`'s invokes that have not ended."""
    latest: dict[str, dict[str, object]] = {}
    for batch in operations.load(run_id):
        for stored in batch.operations:
            latest[str(stored["id"])] = stored
    return [
        child_run_id(run_id, op_id)
        for op_id, op in latest.items()
        if op.get("ty") == "CHAINED_INVOKE" and op.get("st") == "STARTED"
    ]

"""How a checkpoint's ending becomes its callback's ending, the same on the stack and in the test kit.

An approval or an input succeeds the callback with the resolution as JSON (`{"decision", "comment" |
"data", "by", "at", "via"}`: workflows/durable.py `ask_human` reads it back as a Resolution); a
rejection fails it with the error type CheckpointRejected (the handler sees the SDK's CallbackError);
a deadline times it out; a cancelled checkpoint (its run ended) fails it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, Operation

from agent_runtime.engine.durable.operations import complete_callback
from agent_runtime.workflows.durable import REJECTED


def callback_ended(
    op: Operation,
    status: str,
    resolution: Mapping[str, Any] | None,
    now: datetime.datetime,
    *,
    heartbeat: bool = False,
) -> Operation | None:
    """The callback `op` after its checkpoint reached `status` (None while it is pending)."""
    body = dict(resolution or {})
    if status == "resolved" and body.get("decision") == "rejected":
        error = ErrorObject(
            message=body.get("reason") or "rejected", type=REJECTED, data=json.dumps(body), stack_trace=None
        )
        return complete_callback(op, now, error=error)
    if status == "resolved":
        return complete_callback(op, now, result=json.dumps(body, separators=(",", ":")))
    if status == "expired":
        return complete_callback(op, now, timed_out=True, heartbeat=heartbeat)
    if status == "cancelled":
        error = ErrorObject(
            message="the checkpoint was cancelled", type="CheckpointCancelled", data=None, stack_trace=None
        )
        return complete_callback(op, now, error=error)
    return None

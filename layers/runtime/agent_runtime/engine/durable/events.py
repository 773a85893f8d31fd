"""The events a batch of durable operation updates puts on the run's stream: each step attempt
(`step.started`, `step.retrying` with its attempt and error, `step.succeeded` / `step.failed`), timers
(`wait.started` until when) and child runs (`child.started`). Callbacks announce themselves as
checkpoints (`checkpoint.created`) where they are created. Replayed operations send no update, so
nothing here is emitted twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, OperationAction, OperationType

from agent_runtime.engine.durable.operations import Applied, ms_of


def _error(error: ErrorObject | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"type": (error.type or "Error").rsplit(".", 1)[-1], "message": error.message}


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    import datetime

    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def events_of_batch(
    applied: list[Applied], *, child_run_id: Callable[[str], str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    for done in applied:
        update, after = done.update, done.after
        base = {"operation_id": update.operation_id, "name": update.name}
        kind, action = update.operation_type, update.action
        if kind is OperationType.STEP:
            # Attempts finished so far; the one starting now is the next.
            attempt = after.step_details.attempt if after.step_details else 0
            if action is OperationAction.START:
                yield "step.started", {**base, "attempt": attempt + 1}
            elif action is OperationAction.RETRY:
                details = after.step_details
                yield (
                    "step.retrying",
                    {
                        **base,
                        "attempt": attempt,
                        "error": _error(update.error),
                        "next_attempt_at": _iso(ms_of(details.next_attempt_timestamp) if details else None),
                    },
                )
            elif action is OperationAction.SUCCEED:
                yield "step.succeeded", {**base, "attempt": attempt}
            elif action is OperationAction.FAIL:
                yield "step.failed", {**base, "attempt": attempt, "error": _error(update.error)}
        elif kind is OperationType.WAIT and action is OperationAction.START:
            end = after.wait_details.scheduled_end_timestamp if after.wait_details else None
            yield "wait.started", {**base, "until": _iso(ms_of(end))}
        elif kind is OperationType.CHAINED_INVOKE and action is OperationAction.START:
            options = update.chained_invoke_options
            yield (
                "child.started",
                {
                    **base,
                    "workflow": options.function_name if options else None,
                    "child_run_id": child_run_id(update.operation_id),
                },
            )

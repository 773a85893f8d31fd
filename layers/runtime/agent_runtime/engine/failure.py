"""Failing a run: from the step worker (a step raised, the output is invalid) and the state machine's
RecordFailure task (the worker itself crashed, timed out or ran out of retries)."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from agent_runtime.engine.outcome import StepOutcome, outcome
from agent_runtime.store.errors import ChangedMeanwhile
from agent_runtime.store.event_items import NewEvent

if TYPE_CHECKING:
    from agent_runtime.engine import Engine


def fail_run(engine: Engine, run_id: str, error_type: str, message: str, step: str | None = None) -> None:
    """End the run `failed` (ChangedMeanwhile if it is no longer active). A run that fails while
    waiting for a human (its wait crashed) also closes that checkpoint."""
    error = {"type": error_type, "message": message[:4000]}
    events = [NewEvent("step.failed", {"step": step, "error": error})] if step else []
    events.append(NewEvent("run.failed", {"status": "failed", "error": error}))
    engine.checkpoints.close_run(run_id, events, {"status": "failed", "error": json.dumps(error)})


def record_failure(engine: Engine, run_id: str, error: dict[str, Any]) -> StepOutcome:
    """The RecordFailure task: the state machine caught the worker's failure (States.ALL)."""
    error_type = str(error.get("Error") or "WorkerError")
    message = str(error.get("Cause") or "")
    try:
        cause = json.loads(message)
        if isinstance(cause, dict):
            message = str(cause.get("errorMessage") or message)
    except ValueError:
        pass
    with contextlib.suppress(ChangedMeanwhile):  # already terminal
        fail_run(engine, run_id, error_type, message or error_type)
    return outcome("done")

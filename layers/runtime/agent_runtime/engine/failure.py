"""The state machine's RecordFailure task: the worker itself crashed, timed out or ran out of retries
(States.ALL caught it). The run fails through engine/lifecycle.py."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from agent_runtime.engine.outcome import StepOutcome, outcome
from agent_runtime.store.errors import ChangedMeanwhile

if TYPE_CHECKING:
    from agent_runtime.engine.lifecycle import Lifecycle


def record_failure(lifecycle: Lifecycle, run_id: str, error: dict[str, Any]) -> StepOutcome:
    """Fail the run with the worker's error, unless it ended already."""
    error_type = str(error.get("Error") or "WorkerError")
    message = str(error.get("Cause") or "")
    try:
        cause = json.loads(message)
        if isinstance(cause, dict):
            message = str(cause.get("errorMessage") or message)
    except ValueError:
        pass
    with contextlib.suppress(ChangedMeanwhile):  # already terminal
        lifecycle.fail(run_id, error_type, message or error_type)
    return outcome("done")

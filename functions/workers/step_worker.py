"""The run state machine's Execute and RecordFailure tasks."""

from typing import Any

from agent_runtime.runtime import executor


def handler(event: dict[str, Any], context: Any) -> executor.StepOutcome:
    if event.get("action") == "record_failure":
        return executor.record_failure(event["run_id"], event.get("error") or {})
    return executor.execute(event["run_id"], context.get_remaining_time_in_millis)

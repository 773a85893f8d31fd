"""The run state machine's Execute, ExpireCheckpoint and RecordFailure tasks."""

from typing import Any

from agent_runtime.runtime import executor


def handler(event: dict[str, Any], context: Any) -> executor.StepOutcome:
    action = event.get("action", "execute")
    if action == "record_failure":
        return executor.record_failure(event["run_id"], event.get("error") or {})
    if action == "expire_checkpoint":
        return executor.expire_checkpoint(event["run_id"], event["checkpoint_id"])
    return executor.execute(event["run_id"], context.get_remaining_time_in_millis)

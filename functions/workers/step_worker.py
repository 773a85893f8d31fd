"""The run state machine's Execute, ExpireCheckpoint and RecordFailure tasks."""

from typing import Any

from agent_runtime import observability
from agent_runtime.engine import Engine, usage
from agent_runtime.engine.execute import execute_steps
from agent_runtime.engine.failure import record_failure
from agent_runtime.engine.outcome import StepOutcome


def handler(event: dict[str, Any], context: Any) -> StepOutcome:
    run_id, action = event["run_id"], event.get("action", "execute")
    # This invocation's usage rides on the run's commits the engine makes (store/usage_meter.py).
    engine = Engine.default(meter=usage.invocation_meter(run_id, context, action))
    with observability.invocation(
        function=getattr(context, "function_name", None), run_id=run_id, action=action
    ):
        if action == "record_failure":
            return record_failure(engine.lifecycle, run_id, event.get("error") or {})
        if action == "expire_checkpoint":
            return engine.checkpoints.expire(run_id, event["checkpoint_id"])
        return execute_steps(engine, run_id, context.get_remaining_time_in_millis)

"""The run state machine's AwaitHuman task (lambda:invoke.waitForTaskToken): stores the task token on
the pending checkpoint, and returns. The execution then waits, at no cost, until a human answers."""

from typing import Any

from agent_runtime.engine import Engine


def handler(event: dict[str, Any], context: Any) -> dict[str, bool]:
    return Engine.default().checkpoints.await_human(
        event["run_id"], event["checkpoint_id"], event["task_token"]
    )

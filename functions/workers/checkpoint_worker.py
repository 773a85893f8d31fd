"""The run state machine's waits on a task token (lambda:invoke.waitForTaskToken): AwaitHuman stores
the token on the pending checkpoint of a step workflow; Suspend (action "park") stores it on a durable
run, to be sent by whatever wakes it (engine/lifecycle.py). The execution then waits, at no cost."""

from typing import Any

from agent_runtime.engine import Engine


def handler(event: dict[str, Any], context: Any) -> dict[str, bool]:
    engine = Engine.default()
    if event.get("action") == "park":
        return engine.lifecycle.hold(event["run_id"], event.get("wake"), event["task_token"])
    return engine.checkpoints.await_human(event["run_id"], event["checkpoint_id"], event["task_token"])

"""The reconciler, on a schedule (EventBridge Scheduler in the cloud, a timer thread locally): re-drives
or fails active runs whose execution was lost, and re-enqueues webhook deliveries whose queue message
was (engine/reconcile.py)."""

from dataclasses import asdict
from typing import Any

from agent_runtime import observability
from agent_runtime.engine import Engine


def handler(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    with observability.invocation(function=getattr(context, "function_name", None)):
        return asdict(Engine.default().reconciler.sweep())

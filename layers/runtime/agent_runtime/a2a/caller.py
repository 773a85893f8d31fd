"""Who an A2A operation runs for, and the task (run) it names: shared by every operation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent_runtime.a2a.errors import TaskNotFound
from agent_runtime.errors import NotFound

if TYPE_CHECKING:
    from agent_runtime.engine import Engine
    from agent_runtime.engine.model import Run

PROTOCOL = "a2a"


@dataclass(frozen=True)
class Caller:
    engine: Engine
    tenant_id: str
    principal: str | None
    agent: str | None  # A2A's `tenant`: the workflow the interface serves (None: the runtime's card)


def task_run(caller: Caller, task_id: str) -> Run:
    """The run a task id names, if the caller's tenant (and interface) may see it."""
    try:
        run = caller.engine.runs.get(caller.tenant_id, task_id)
    except NotFound:
        raise TaskNotFound(f"task {task_id!r} does not exist", taskId=task_id) from None
    if caller.agent and run.workflow_name != caller.agent:
        raise TaskNotFound(f"task {task_id!r} is not a task of {caller.agent}", taskId=task_id)
    return run

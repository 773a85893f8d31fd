"""ACP's webhook ("runstatuschange"): the ACP Run, sent when the run's ACP status changes, carrying
the status (and `updated_at`) of that change: the run may be further along when the delivery is
prepared, and a receiver that sorts by `updated_at` sees each change once, in order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agent_runtime.acp.views import acp_run
from agent_runtime.engine.model import Event, Run, RunStatus

if TYPE_CHECKING:
    from agent_runtime.engine import Engine


def status_at(event_type: str, data: Mapping[str, Any]) -> str | None:
    """The run status an event moves the run to, when that changes its ACP status."""
    if event_type in {"checkpoint.resolved", "checkpoint.expired"}:
        # An expiry that fails the run is followed by run.timed_out in the same commit.
        return RunStatus.RUNNING if data.get("on_timeout", "continue") == "continue" else None
    return {
        "run.created": RunStatus.QUEUED,
        "checkpoint.created": RunStatus.WAITING_FOR_INPUT,
        "run.succeeded": RunStatus.SUCCEEDED,
        "run.failed": RunStatus.FAILED,
        "run.cancelled": RunStatus.CANCELLED,
        "run.timed_out": RunStatus.TIMED_OUT,
    }.get(event_type)


def webhook_body(engine: Engine, run: Run, event: Event) -> dict[str, Any] | None:
    status = status_at(event.type, event.data)
    if status is None:
        return None
    return acp_run(run, status=status, updated_at=event.created_at)

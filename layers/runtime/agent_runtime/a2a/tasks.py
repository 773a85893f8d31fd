"""Tasks are runs: read, listed (by context, status and time) and cancelled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent_runtime.a2a import views
from agent_runtime.a2a.caller import Caller, task_run
from agent_runtime.a2a.errors import InvalidParams, TaskNotCancelable
from agent_runtime.a2a.models import ListTasksRequest
from agent_runtime.engine import budget
from agent_runtime.engine.model import Run
from agent_runtime.errors import Conflict, NotFound

DEFAULT_PAGE_SIZE = 50


def get(caller: Caller, task_id: str, history_length: int | None = None) -> dict[str, Any]:
    return views.task(caller.engine, task_run(caller, task_id), history_length=history_length)


def cancel(caller: Caller, task_id: str) -> dict[str, Any]:
    run = task_run(caller, task_id)
    if run.terminal:
        raise TaskNotCancelable(f"task {task_id} is {views.STATE[run.status]}", taskId=task_id)
    try:
        run = caller.engine.runs.cancel(caller.tenant_id, task_id)
    except Conflict as ended:
        raise TaskNotCancelable(ended.detail, taskId=task_id) from None
    return views.task(caller.engine, run)


def list_tasks(caller: Caller, request: ListTasksRequest) -> dict[str, Any]:
    size = request.page_size or DEFAULT_PAGE_SIZE
    status = None
    if request.status and request.status != "TASK_STATE_UNSPECIFIED":
        if request.status not in views.RUN_STATUS:
            raise InvalidParams(
                "status is not a task state", errors=[{"field": "status", "message": request.status}]
            )
        status = views.RUN_STATUS[request.status]

    def shape(run: Run) -> dict[str, Any]:
        return views.task(
            caller.engine,
            run,
            history_length=request.history_length,
            include_artifacts=request.include_artifacts,
        )

    after = request.status_timestamp_after

    def wanted(run: Run) -> bool:
        return (
            (status is None or run.status == status)
            and (not caller.agent or run.workflow_name == caller.agent)
            and (after is None or datetime.fromisoformat(run.updated_at) >= after)
        )

    if request.context_id:
        # A context's tasks are its thread's runs, newest first; the page token is an offset.
        offset = _offset(request.page_token)
        try:
            records = caller.engine.threads.runs(caller.tenant_id, request.context_id, size + 1, offset)
        except NotFound:
            records = []
        runs = [caller.engine.runs.view(r) for r in records]
        more = len(runs) > size
        shown = budget.take(shape(r) for r in runs[:size] if wanted(r))
        next_token = f"offset:{offset + size}" if more else ""
        return {
            "tasks": shown,
            "nextPageToken": next_token,
            "pageSize": size,
            "totalSize": offset + len(shown),
        }
    page = caller.engine.runs.page(
        caller.tenant_id,
        status=status,
        workflow=caller.agent,
        limit=size,
        cursor=request.page_token or None,
        shape=lambda run: shape(run) if wanted(run) else None,
    )
    tasks = [t for t in page.data if t is not None]
    return {
        "tasks": tasks,
        "nextPageToken": page.next_cursor or "",
        "pageSize": size,
        "totalSize": len(tasks),
    }


def _offset(token: str | None) -> int:
    if not token:
        return 0
    raw = token.removeprefix("offset:")
    if not raw.isdigit():
        raise InvalidParams(
            "pageToken is not one this server issued", errors=[{"field": "pageToken", "message": token[:40]}]
        )
    return int(raw)

"""ACP runs (stateless and on threads) on the runtime's runs: create, wait, stream, resume, cancel,
delete, search."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from agent_runtime.acp import agents, mapping
from agent_runtime.acp.models import RunCreate, RunCreateStateful, RunSearchRequest
from agent_runtime.clock import now_iso
from agent_runtime.config import settings
from agent_runtime.errors import Conflict, NotFound, ValidationFailed
from agent_runtime.models import ACTIVE_STATUSES, TERMINAL_STATUSES, CreateRunRequest, WorkflowSelector
from agent_runtime.runtime import budget, checkpoints, runs
from agent_runtime.runtime.validation import field_errors
from agent_runtime.store import runs as run_store
from agent_runtime.store import threads as thread_store
from agent_runtime.store.runs import ItemConditionFailed, RunRecord
from agent_runtime.workflows.checkpoints import ApprovalResponse
from agent_runtime.workflows.sdk import Workflow

SEARCH_SCAN_LIMIT = 1000
POLL_SECONDS = 0.2


def _request(body: RunCreate) -> CreateRunRequest:
    workflow = agents.by_agent_id(body.agent_id)
    try:
        return CreateRunRequest(
            workflow=WorkflowSelector(name=workflow.name, version=workflow.version),
            input=body.input if body.input is not None else {},
            config=body.agent_config(),
            metadata=body.metadata or {},
            callback_url=body.webhook,
        )
    except ValidationError as error:
        raise ValidationFailed("run is not valid", errors=field_errors(error)) from error


def _checked(request: CreateRunRequest) -> Workflow:
    """Everything that would refuse the run, before anything changes (a thread's current run is only
    interrupted for a run that will start)."""
    try:
        return runs.check_request(request)
    except ValidationFailed as error:  # ACP names the callback URL `webhook`
        for item in error.errors:
            if item.get("field") == "callback_url":
                item["field"] = "webhook"
        raise


def create(tenant_id: str, body: RunCreate, thread_id: str | None = None) -> RunRecord:
    request = _request(body)
    workflow = _checked(request)
    run_id = str(uuid.uuid4())
    extra: list[dict[str, Any]] = []
    if thread_id is not None:
        thread = _thread_for_run(tenant_id, thread_id, body)
        extra = [thread_store.claim(thread, run_id), thread_store.run_pointer(thread, run_id, now_iso())]
    try:
        record, _ = runs.create_record(
            tenant_id,
            request,
            None,
            run_id=run_id,
            callback_protocol="acp",
            thread_id=thread_id,
            protocol_options=body.options(),
            extra_items=extra,
            checked=workflow,
        )
    except ItemConditionFailed as busy:
        raise Conflict(f"thread {thread_id!r} has a run in progress (multitask_strategy reject)") from busy
    return record


def _thread_for_run(tenant_id: str, thread_id: str, body: RunCreate) -> thread_store.ThreadRecord:
    try:
        thread = thread_store.get(thread_id, tenant_id)
    except NotFound:
        if not (isinstance(body, RunCreateStateful) and body.if_not_exists == "create"):
            raise
        thread_store.create(thread_store.new(tenant_id, thread_id, {}))
        thread = thread_store.get(thread_id, tenant_id)
    if thread.current_run_id:
        try:
            current: RunRecord | None = run_store.get(thread.current_run_id, tenant_id)
        except NotFound:  # deleted since: the thread is idle
            current = None
        if current is not None and current.status in ACTIVE_STATUSES:
            if body.multitask_strategy == "interrupt":
                runs.cancel_run(tenant_id, current.run_id)
            elif body.multitask_strategy == "reject":
                raise Conflict(
                    f"thread {thread_id!r} has run {current.run_id} in progress (multitask_strategy reject)"
                )
            else:
                raise ValidationFailed(
                    f"multitask_strategy {body.multitask_strategy!r} is not supported",
                    errors=[{"field": "multitask_strategy", "message": "use reject or interrupt"}],
                )
    return thread


def get(tenant_id: str, run_id: str, thread_id: str | None = None) -> RunRecord:
    record = run_store.get(run_id, tenant_id)
    if thread_id is not None and record.thread_id != thread_id:
        raise NotFound(f"run {run_id!r} is not a run of thread {thread_id!r}")
    return record


def wait(
    tenant_id: str, run_id: str, timeout: float | None = None, thread_id: str | None = None
) -> tuple[RunRecord, dict[str, Any] | None]:
    """Block until the run has an output (result, interrupt or error), or `timeout` passes."""
    limit = settings().acp_wait_seconds if timeout is None else min(timeout, settings().acp_wait_seconds)
    deadline = time.monotonic() + limit
    while True:
        record = get(tenant_id, run_id, thread_id)
        output = mapping.run_output(record)
        if output is not None or time.monotonic() >= deadline:
            return record, output
        time.sleep(POLL_SECONDS)


def wait_response(record: RunRecord, output: dict[str, Any] | None) -> dict[str, Any]:
    response: dict[str, Any] = {"run": mapping.acp_run(record)}
    if output is not None:
        response["output"] = output
    return response


def resume(
    tenant_id: str, run_id: str, payload: Any, principal: str | None, thread_id: str | None = None
) -> RunRecord:
    """Answer the run's pending interrupt with `payload` (raw, or {"<interrupt_type>": payload})."""
    record = get(tenant_id, run_id, thread_id)
    checkpoint = mapping.pending_checkpoint(record)
    if checkpoint is None:
        raise Conflict(f"run {run_id} is not interrupted (status {mapping.ACP_STATUS[record.status]})")
    if isinstance(payload, dict) and set(payload) == {checkpoint.name}:
        payload = payload[checkpoint.name]
    if checkpoint.type == "input":
        if not isinstance(payload, dict):
            raise ValidationFailed(
                "the resume payload must be an object",
                errors=[{"field": "body", "message": "expected an object"}],
            )
        checkpoints.resolve(
            tenant_id,
            run_id,
            checkpoint.checkpoint_id,
            "input",
            checkpoints.InputRequest(data=payload),
            principal,
        )
    else:
        try:
            answer = ApprovalResponse.model_validate(payload)
        except ValidationError as error:
            raise ValidationFailed(
                "the resume payload does not match the interrupt's resume schema", errors=field_errors(error)
            ) from error
        if answer.approved:
            checkpoints.resolve(
                tenant_id,
                run_id,
                checkpoint.checkpoint_id,
                "approve",
                checkpoints.ApproveRequest(comment=answer.comment),
                principal,
            )
        else:
            checkpoints.resolve(
                tenant_id,
                run_id,
                checkpoint.checkpoint_id,
                "reject",
                checkpoints.RejectRequest(reason=answer.reason),
                principal,
            )
    return get(tenant_id, run_id)


def cancel(tenant_id: str, run_id: str, thread_id: str | None = None) -> None:
    """Cancel an active run. A run that already ended is left as it is (cancel is idempotent in ACP)."""
    record = get(tenant_id, run_id, thread_id)
    if record.status not in TERMINAL_STATUSES:
        with contextlib.suppress(Conflict):  # it ended meanwhile
            runs.cancel_run(tenant_id, run_id)


def delete(tenant_id: str, run_id: str, thread_id: str | None = None) -> None:
    cancel(tenant_id, run_id, thread_id)
    run_store.delete(run_id)


def search(tenant_id: str, body: RunSearchRequest) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    scanned = 0
    while scanned < SEARCH_SCAN_LIMIT:
        records, cursor = run_store.list_for_tenant(
            tenant_id, status=None, workflow=None, limit=100, cursor=cursor
        )
        scanned += len(records)
        for record in records:
            run = mapping.acp_run(record)
            metadata = run["creation"]["metadata"]
            if (
                (body.agent_id is None or run["agent_id"] == body.agent_id)
                and (body.status is None or run["status"] == body.status)
                and all(metadata.get(k) == v for k, v in (body.metadata or {}).items())
            ):
                found.append(run)
        if not cursor:
            break
    return budget.take(found[body.offset : body.offset + body.limit])  # the rest: a larger offset


def for_thread(tenant_id: str, thread_id: str, limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
    """The thread's runs, newest first: `limit` of them after skipping `offset`."""
    thread_store.get(thread_id, tenant_id)
    out: list[dict[str, Any]] = []
    skipped = 0
    for run_id in thread_store.run_ids(tenant_id, thread_id):
        if len(out) >= limit:
            break
        try:
            record = run_store.get(run_id, tenant_id)
        except NotFound:
            continue  # deleted since
        if skipped < offset:
            skipped += 1
            continue
        out.append(mapping.acp_run(record))
    return budget.take(out)  # the rest: a larger offset


def stream_modes(record: RunRecord) -> set[str]:
    """The stream_mode the run was created with (values when none was given)."""
    mode = json.loads(record.protocol_options).get("stream_mode")
    if not mode:
        return {"values"}
    return set(mode) if isinstance(mode, list) else {mode}


def stream_window(
    tenant_id: str,
    run_id: str,
    after: int,
    modes: set[str],
    thread_id: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """ACP's SSE: `event: agent_event` frames whose data is a stream update, until the run ends or
    is interrupted (a final frame says which), or the window closes."""
    get(tenant_id, run_id, thread_id)
    deadline = time.monotonic() + settings().acp_wait_seconds
    frames: list[str] = []
    size = 0
    sent = after
    while True:
        record = run_store.get(run_id, tenant_id)
        full = False
        while not full and (batch := run_store.events_after(run_id, sent, 100)):
            for event in batch:
                update = mapping.stream_update(record, event, modes)
                if update is not None:
                    data = json.dumps(update, separators=(",", ":"), ensure_ascii=False)
                    frame = f"id: {event.id}\nevent: agent_event\ndata: {data}\n\n"
                    if frames and size + len(frame.encode()) > budget.RESPONSE_BUDGET_BYTES:
                        full = True  # this response is full: the client reconnects for the rest
                        break
                    frames.append(frame)
                    size += len(frame.encode())
                sent = event.id
        settled = record.status in TERMINAL_STATUSES or record.status == "waiting_for_input"
        if settled and sent >= record.event_seq:
            return "".join(frames)
        if full or time.monotonic() >= deadline:
            # A comment and no blank line: no client parses it as an event.
            return "".join(frames) + ": window closed; reconnect with Last-Event-ID\n"
        sleep(POLL_SECONDS)

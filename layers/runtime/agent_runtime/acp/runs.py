"""ACP runs (stateless and on threads) as engine calls: create, wait, stream, resume, cancel, delete,
search. What differs between a stateless run and a thread's run is only the thread id."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from agent_runtime.acp import agents, views
from agent_runtime.acp.models import RunCreate, RunCreateStateful, RunSearchRequest
from agent_runtime.acp.settings import wait_seconds
from agent_runtime.engine import Engine, budget
from agent_runtime.engine.checkpoints import Approve, Reject, Submit
from agent_runtime.engine.model import Run, RunProgress
from agent_runtime.engine.runs import OnThread, RunSpec
from agent_runtime.engine.threads import ThreadBusy
from agent_runtime.errors import Conflict, NotFound, ValidationFailed, renamed
from agent_runtime.validation import field_errors
from agent_runtime.workflows.checkpoints import ApprovalResponse

PROTOCOL = "acp"
SEARCH_SCAN_LIMIT = 1000
STREAM_POLL_SECONDS = 0.2


def create(engine: Engine, tenant_id: str, body: RunCreate, thread_id: str | None = None) -> Run:
    workflow = agents.by_agent_id(engine.workflows, body.agent_id)
    callback_url, callback_field = body.callback_url()
    spec = RunSpec(
        workflow_name=workflow.name,
        workflow_version=workflow.version,
        input=body.input if body.input is not None else {},
        config=body.agent_config(),
        metadata=body.metadata or {},
        callback_url=callback_url,
    )
    on_thread = None
    if thread_id is not None:
        on_thread = OnThread(
            thread_id,
            multitask=body.multitask_strategy,
            create_if_missing=isinstance(body, RunCreateStateful) and body.if_not_exists == "create",
        )
    try:
        run, _ = engine.runs.create(
            tenant_id, spec, protocol=PROTOCOL, protocol_options=body.options(), on_thread=on_thread
        )
    except ValidationFailed as invalid:
        # ACP names the callback URL `webhook` (or `callback`).
        raise renamed(invalid, {"callback_url": callback_field}) from None
    except ThreadBusy as busy:
        raise Conflict(f"{busy.detail} (multitask_strategy reject)") from None
    return run


def get(engine: Engine, tenant_id: str, run_id: str, thread_id: str | None = None) -> Run:
    run = engine.runs.get(tenant_id, run_id)
    if thread_id is not None and run.thread_id != thread_id:
        raise NotFound(f"run {run_id!r} is not a run of thread {thread_id!r}")
    return run


def wait(
    engine: Engine, tenant_id: str, run_id: str, timeout: float | None = None, thread_id: str | None = None
) -> dict[str, Any]:
    """RunWaitResponse: the run once it has an output (result, interrupt or error), or as it is when
    `timeout` (bounded by the server's wait limit) passes."""
    get(engine, tenant_id, run_id, thread_id)
    limit = wait_seconds() if timeout is None else min(timeout, wait_seconds())
    run = engine.runs.wait(tenant_id, run_id, limit, until=lambda r: views.has_output(engine, r))
    response: dict[str, Any] = {"run": views.acp_run(run)}
    output = views.run_output(engine, run)
    if output is not None:
        response["output"] = output
    return response


def resume(
    engine: Engine,
    tenant_id: str,
    run_id: str,
    payload: Any,
    principal: str | None,
    thread_id: str | None = None,
) -> Run:
    """Answer the run's pending interrupt with `payload` (raw, or {"<interrupt_type>": payload})."""
    run = get(engine, tenant_id, run_id, thread_id)
    checkpoint = engine.checkpoints.awaiting_answer(run)
    if checkpoint is None:
        raise Conflict(f"run {run_id} is not interrupted (status {views.ACP_STATUS[run.status]})")
    if isinstance(payload, dict) and set(payload) == {checkpoint.name}:
        payload = payload[checkpoint.name]
    if checkpoint.type == "input":
        if not isinstance(payload, dict):
            raise ValidationFailed(
                "the resume payload must be an object",
                errors=[{"field": "body", "message": "expected an object"}],
            )
        answer: Approve | Reject | Submit = Submit(payload)
    else:
        try:
            decision = ApprovalResponse.model_validate(payload)
        except ValidationError as error:
            raise ValidationFailed(
                "the resume payload does not match the interrupt's resume schema", errors=field_errors(error)
            ) from error
        answer = Approve(decision.comment) if decision.approved else Reject(decision.reason)
    engine.checkpoints.answer(tenant_id, run_id, checkpoint.checkpoint_id, answer, principal, via="acp")
    return engine.runs.get(tenant_id, run_id)


def cancel(engine: Engine, tenant_id: str, run_id: str, thread_id: str | None = None) -> None:
    """Cancel an active run. A run that already ended is left as it is (cancel is idempotent in ACP)."""
    run = get(engine, tenant_id, run_id, thread_id)
    if not run.terminal:
        with contextlib.suppress(Conflict):  # it ended meanwhile
            engine.runs.cancel(tenant_id, run_id)


def delete(engine: Engine, tenant_id: str, run_id: str, thread_id: str | None = None) -> None:
    get(engine, tenant_id, run_id, thread_id)
    engine.runs.delete(tenant_id, run_id)


def search(engine: Engine, tenant_id: str, body: RunSearchRequest) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for run in engine.runs.scan(tenant_id, SEARCH_SCAN_LIMIT):
        shaped = views.acp_run(run)
        if (
            (body.agent_id is None or shaped["agent_id"] == body.agent_id)
            and (body.status is None or shaped["status"] == body.status)
            and all(run.metadata.get(k) == v for k, v in (body.metadata or {}).items())
        ):
            found.append(shaped)
    return budget.take(found[body.offset : body.offset + body.limit])  # the rest: a larger offset


def for_thread(
    engine: Engine, tenant_id: str, thread_id: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The thread's runs, newest first: `limit` of them after skipping `offset`."""
    records = engine.threads.runs(tenant_id, thread_id, limit, offset)
    return budget.take(views.acp_run(engine.runs.view(r)) for r in records)  # the rest: a larger offset


def stream_modes(run: Run) -> set[str]:
    """The stream_mode the run was created with (values when none was given)."""
    mode = run.protocol_options.get("stream_mode")
    if not mode:
        return {"values"}
    return set(mode) if isinstance(mode, list) else {mode}


def stream(
    engine: Engine,
    tenant_id: str,
    run_id: str,
    after: int,
    modes: set[str],
    thread_id: str | None = None,
) -> str:
    """ACP's SSE: `event: agent_event` frames whose data is a stream update, until the run ends or is
    interrupted (a final frame says which), or the window closes."""
    get(engine, tenant_id, run_id, thread_id)

    def frame(run: RunProgress, event: Any) -> str | None:
        updates = views.stream_updates(engine, run, event, modes)
        # A run's output comes twice (pending, then success): the first takes the id of the event just
        # before (the last step's completion, which ACP clients don't see), so ids stay unique and
        # increasing and a reconnect after it never repeats it.
        ids = range(event.seq - len(updates) + 1, event.seq + 1)
        frames = [
            f"id: {i}\nevent: agent_event\ndata: {budget.compact_json(update)}\n\n"
            for i, update in zip(ids, updates, strict=True)
            if i > after
        ]
        return "".join(frames) or None

    window = engine.streams.follow(
        tenant_id,
        run_id,
        after,
        frame=frame,
        settled=lambda run: run.status in views.SETTLED_STATUSES,
        window_seconds=wait_seconds(),
        poll_seconds=STREAM_POLL_SECONDS,
        close_when_quiet=False,
    )
    body = "".join(window.frames)
    # A comment and no blank line: no client parses it as an event.
    return body if window.finished else body + ": window closed; reconnect with Last-Event-ID\n"

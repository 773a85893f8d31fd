"""MCP methods as engine calls: tools are workflows, a tool call is a run, a task is that run (task id =
run id), an input request is its pending checkpoint, and an input response answers it through the
engine, which applies an answer exactly once whichever door it comes through."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_runtime.engine import Engine
from agent_runtime.engine.checkpoints import Approve, Reject, Submit
from agent_runtime.engine.model import TERMINAL_STATUSES, Checkpoint, Event, Run, RunProgress
from agent_runtime.engine.runs import RunSpec
from agent_runtime.errors import BadRequest, Conflict, NotFound, ValidationFailed
from agent_runtime.mcp import views
from agent_runtime.mcp.errors import InvalidParams, MissingClientCapability
from agent_runtime.mcp.settings import wait_seconds
from agent_runtime.validation import field_errors
from agent_runtime.workflows.checkpoints import ApprovalResponse
from agent_runtime.workflows.sdk import Workflow

PROTOCOL = "mcp"


@dataclass(frozen=True)
class Caller:
    engine: Engine
    tenant_id: str
    principal: str | None
    takes_tasks: bool  # the request declared the Tasks extension in its client capabilities


# A client's own key for a tool call (MCP has none): a retry with it gets the first call's run.
IDEMPOTENCY_META = "io.agent-runtime/idempotencyKey"


class CallParams(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    meta: dict[str, Any] = Field(default_factory=dict, alias="_meta")


class TaskParams(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    task_id: str = Field(alias="taskId", min_length=1, max_length=256)


class ElicitResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    action: str = Field(pattern="^(accept|decline|cancel)$")
    content: dict[str, Any] | None = None


class UpdateParams(TaskParams):
    input_responses: dict[str, Any] = Field(alias="inputResponses")


def parse(model: type[BaseModel], params: dict[str, Any]) -> Any:
    try:
        return model.model_validate(params)
    except ValidationError as error:
        raise InvalidParams("params are not valid", errors=field_errors(error, "params")) from error


# -- tools ------------------------------------------------------------------------------------
def list_tools(caller: Caller) -> list[dict[str, Any]]:
    """Every workflow's newest version, by name (a deterministic order, as the spec asks)."""
    registry = caller.engine.workflows
    return [views.tool(registry.get(name)) for name in sorted(registry.names())]


def _workflow(caller: Caller, name: str) -> Workflow:
    try:
        return caller.engine.workflows.get(name)
    except NotFound:
        raise InvalidParams(
            f"no tool {name!r}: tools/list names them",
            errors=[{"field": "params.name", "message": "no such tool"}],
        ) from None


def start(caller: Caller, params: CallParams) -> Run:
    """Start the run a tool call asks for. A workflow that may wait for a human can only be followed
    as a task: a client that takes none is refused before anything is written."""
    workflow = _workflow(caller, params.name)
    if workflow.checkpoints and not caller.takes_tasks:
        raise MissingClientCapability(
            f"{workflow.name} waits for a human: declare the io.modelcontextprotocol/tasks extension"
        )
    spec = RunSpec(workflow_name=workflow.name, workflow_version=workflow.version, input=params.arguments)
    key = params.meta.get(IDEMPOTENCY_META)
    where = f"params._meta.{IDEMPOTENCY_META}"
    if key is not None and not isinstance(key, str):
        raise InvalidParams(
            "the idempotency key is a string", errors=[{"field": where, "message": "a string"}]
        )
    request = {"tool": workflow.name, "arguments": params.arguments}
    try:
        run, _ = caller.engine.runs.create(
            caller.tenant_id, spec, idempotency=(key, request) if key else None, protocol=PROTOCOL
        )
    except BadRequest as bad:
        raise InvalidParams(
            bad.detail, errors=[{"field": where, "message": "1-255 visible ASCII characters"}]
        ) from None
    except Conflict as reused:
        raise InvalidParams(
            "the idempotency key was used for another call", errors=[{"field": where, "message": "reused"}]
        ) from reused
    except ValidationFailed as invalid:
        errors = [
            {**e, "field": "params.arguments" + str(e.get("field", ""))[len("input") :]}
            if str(e.get("field", "")).startswith("input")
            else e
            for e in invalid.errors
        ]
        raise InvalidParams("arguments do not match the tool's inputSchema", errors=errors) from None
    return run


def done(caller: Caller) -> Callable[[RunProgress], bool]:
    """When a call stops waiting: the run ended, or (for a client that takes tasks) waits for a human."""
    return (lambda p: p.settled) if caller.takes_tasks else (lambda p: p.status in TERMINAL_STATUSES)


def answer_of(caller: Caller, run: Run) -> dict[str, Any]:
    """What a tool call answers once it has waited: the result, a task, or (no tasks) a tool error."""
    if run.terminal:
        return views.call_result(run)
    if caller.takes_tasks:
        return {"resultType": "task", **views.task(run, _pending(caller, run))}
    return views.still_running(run)


def call(caller: Caller, params: CallParams) -> dict[str, Any]:
    run = start(caller, params)
    run = caller.engine.runs.wait(caller.tenant_id, run.run_id, wait_seconds(), until=done(caller))
    return answer_of(caller, run)


def call_streaming(
    caller: Caller, params: CallParams, on_event: Callable[[Event], str]
) -> tuple[list[str], Run]:
    """The call, with an SSE frame (`on_event`) per event the run committed while it waited: the frames
    and the run as it is then. API Gateway and Lambda buffer the response, so the client gets the frames
    when the call returns however they are made: the wait polls only the run item (as `call`), and the
    events are read once after it (as many as one response holds, from the first)."""
    run = start(caller, params)
    run = caller.engine.runs.wait(caller.tenant_id, run.run_id, wait_seconds(), until=done(caller))
    window = caller.engine.streams.follow(
        caller.tenant_id,
        run.run_id,
        0,
        frame=lambda progress, event: on_event(event),
        settled=lambda progress: True,  # one pass over what is there
        window_seconds=0,
        poll_seconds=0,
        close_when_quiet=True,
    )
    return window.frames, run


# -- tasks ------------------------------------------------------------------------------------
def require_tasks(caller: Caller) -> None:
    if not caller.takes_tasks:
        raise MissingClientCapability("tasks/* methods need the io.modelcontextprotocol/tasks extension")


def _task_run(caller: Caller, task_id: str) -> Run:
    try:
        return caller.engine.runs.get(caller.tenant_id, task_id)
    except NotFound:
        raise InvalidParams(
            f"Failed to retrieve task: task {task_id!r} not found",
            errors=[{"field": "params.taskId", "message": "no such task"}],
        ) from None


def _pending(caller: Caller, run: Run) -> Checkpoint | None:
    return caller.engine.checkpoints.awaiting_answer(run)


def get(caller: Caller, task_id: str) -> dict[str, Any]:
    run = _task_run(caller, task_id)
    return {"resultType": "complete", **views.task(run, _pending(caller, run))}


def cancel(caller: Caller, task_id: str) -> dict[str, Any]:
    """Cancel the run. Cancellation is cooperative in the extension: a run that ended first keeps its
    end, and the request is acknowledged all the same."""
    run = _task_run(caller, task_id)
    if not run.terminal:
        # A Conflict: it ended (or was answered) meanwhile; the ack stands, tasks/get tells the end.
        with contextlib.suppress(Conflict):
            caller.engine.runs.cancel(caller.tenant_id, task_id)
    return {"resultType": "complete"}


def _decision(checkpoint: Checkpoint, result: ElicitResult, where: str) -> Any:
    """An elicitation result as the engine's answer; None for one that answers nothing (a dismissed
    form, or a declined input: the checkpoint stays open)."""
    if checkpoint.type == "approval":
        if result.action == "decline":
            return Reject(None)
        if result.action != "accept":
            return None
        try:
            decision = ApprovalResponse.model_validate(result.content or {})
        except ValidationError as error:
            raise InvalidParams(
                "the content does not match the input request's requestedSchema",
                errors=field_errors(error, f"{where}.content"),
            ) from error
        return Approve(decision.comment) if decision.approved else Reject(decision.reason)
    if result.action != "accept":
        return None
    return Submit(result.content or {})


def update(caller: Caller, params: UpdateParams) -> dict[str, Any]:
    """Answer the outstanding input request (the pending checkpoint, keyed by its id). Keys that are
    not outstanding (never issued, or answered already, through this door or any other) are ignored,
    as the extension says: the engine's conditional answer makes the first answer the only one."""
    responses: dict[str, ElicitResult] = {}
    for key, raw in params.input_responses.items():  # all checked before anything is written
        try:
            responses[key] = ElicitResult.model_validate(raw)
        except ValidationError as error:
            raise InvalidParams(
                "an input response is not an ElicitResult",
                errors=field_errors(error, f"params.inputResponses.{key}"),
            ) from error
    run = _task_run(caller, params.task_id)
    checkpoint = _pending(caller, run)
    for key, result in responses.items():
        where = f"params.inputResponses.{key}"
        if checkpoint is None or key != checkpoint.checkpoint_id:
            continue
        decision = _decision(checkpoint, result, where)
        if decision is None:
            continue
        try:
            caller.engine.checkpoints.answer(
                caller.tenant_id, run.run_id, checkpoint.checkpoint_id, decision, caller.principal, via="mcp"
            )
        except ValidationFailed as invalid:
            errors = [
                {**e, "field": f"{where}.content" + str(e.get("field", ""))[len("data") :]}
                if str(e.get("field", "")).startswith("data")
                else e
                for e in invalid.errors
            ]
            raise InvalidParams(invalid.detail, errors=errors) from None
        except Conflict:
            pass  # answered or cancelled first: this response is no longer outstanding
    return {"resultType": "complete"}

"""SendMessage: a message creates a run of a workflow (the `tenant` names it) on the context's thread,
or, sent on a task, answers the checkpoint the task waits on."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from agent_runtime.a2a import cards, parts, push, views
from agent_runtime.a2a.caller import PROTOCOL, Caller, task_run
from agent_runtime.a2a.errors import InvalidParams, UnsupportedOperation
from agent_runtime.a2a.models import Message, SendMessageRequest
from agent_runtime.a2a.settings import wait_seconds
from agent_runtime.engine.checkpoints import Approve, Reject, Submit
from agent_runtime.engine.model import Run
from agent_runtime.engine.runs import OnThread, RunSpec
from agent_runtime.errors import Conflict, NotFound, ValidationFailed, renamed
from agent_runtime.workflows.sdk import Workflow

CONTEXT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
IDEMPOTENCY_SAFE = re.compile(r"^[\x21-\x7e]{1,240}$")


def _under(field: str, prefix: str) -> bool:
    return field == prefix or field.startswith((prefix + ".", prefix + "["))


def _renamed(error: ValidationFailed, prefix: str, path: str) -> InvalidParams:
    """The engine's field names (`input.count`) as where they came from in the A2A request."""
    errors = [
        {**e, "field": path + str(e.get("field", ""))[len(prefix) :]}
        if _under(str(e.get("field", "")), prefix)
        else e
        for e in error.errors
    ]
    return InvalidParams(error.detail, errors=errors)


def workflow_for(caller: Caller, request: SendMessageRequest) -> Workflow:
    metadata = {**(request.metadata or {}), **(request.message.metadata or {})}
    field = "tenant" if caller.agent else "metadata.skill"
    name = caller.agent or metadata.get("skill")
    if name is None:
        name = cards.default_skill(caller.engine.workflows)  # a client that names no skill
    if not isinstance(name, str) or not name:
        raise InvalidParams(
            "name the workflow: use its agent card (its interfaces set `tenant`) or set metadata.skill",
            errors=[{"field": "metadata.skill", "message": "a workflow name, as in the card's skills"}],
        )
    base, _, version = name.partition("@")
    try:
        return caller.engine.workflows.get(base, version or None)
    except NotFound as missing:
        raise InvalidParams(str(missing), errors=[{"field": field, "message": "no such workflow"}]) from None


def _key(message_id: str) -> str:
    if IDEMPOTENCY_SAFE.match(message_id):
        return f"a2a:{message_id}"
    return "a2a-sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


def _fingerprint(caller: Caller, request: SendMessageRequest) -> dict[str, Any]:
    """The request as it defines the run: the same messageId with another of these is refused."""
    config = request.configuration.task_push_notification_config if request.configuration else None
    return {
        "tenant": caller.agent,
        "message": request.message.model_dump(mode="json", by_alias=True, exclude_none=True),
        "metadata": request.metadata,
        "push": config.model_dump(mode="json", by_alias=True, exclude_none=True) if config else None,
    }


def send(caller: Caller, request: SendMessageRequest) -> tuple[Run, bool]:
    """A new task, or (with message.taskId) the answer to the checkpoint the task waits on."""
    message = request.message
    if request.tenant and caller.agent and request.tenant != caller.agent:
        raise InvalidParams(
            "tenant differs from the interface's", errors=[{"field": "tenant", "message": "mismatch"}]
        )
    if message.task_id:
        run = task_run(caller, message.task_id)
        if message.context_id and message.context_id != views.context_of(run):
            raise InvalidParams(
                "contextId is not the task's",
                errors=[
                    {"field": "message.contextId", "message": f"task's context is {views.context_of(run)}"}
                ],
            )
        return answer(caller, run, message), False
    return _create(caller, request)


def _create(caller: Caller, request: SendMessageRequest) -> tuple[Run, bool]:
    message = request.message
    workflow = workflow_for(caller, request)
    context_id = message.context_id or str(uuid.uuid4())
    if not CONTEXT_ID.match(context_id):
        raise InvalidParams(
            "contextId must be 1-200 characters of A-Z a-z 0-9 . _ : -",
            errors=[{"field": "message.contextId", "message": "use a server-issued contextId"}],
        )
    run_input, source = parts.object_from_parts(workflow.input_model, message.parts, "message.parts")
    metadata = {**(request.metadata or {})}
    config = metadata.pop("config", None) or {}
    if not isinstance(config, dict):
        raise InvalidParams(
            "metadata.config must be an object",
            errors=[{"field": "metadata.config", "message": "expected an object"}],
        )
    push_config = request.configuration.task_push_notification_config if request.configuration else None
    stored_message = message.model_dump(mode="json", by_alias=True, exclude_none=True)
    stored_message["contextId"] = context_id
    fingerprint = _fingerprint(caller, request)
    options: dict[str, Any] = {
        "message": stored_message,
        "fingerprint": hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest(),
    }
    headers: dict[str, str] = {}
    if push_config is not None:
        options["push"] = push.option(push_config)
        headers = push.headers(push_config, "configuration.taskPushNotificationConfig")
    spec = RunSpec(
        workflow_name=workflow.name,
        workflow_version=workflow.version,
        input=run_input,
        config=config,
        metadata={"a2a_message_id": message.message_id},
        callback_url=push_config.url if push_config else None,
        callback_headers=headers,
    )
    try:
        return caller.engine.runs.create(
            caller.tenant_id,
            spec,
            idempotency=(_key(message.message_id), fingerprint),
            protocol=PROTOCOL,
            protocol_options=options,
            on_thread=OnThread(context_id, multitask="reject", create_if_missing=True),
        )
    except ValidationFailed as refused:
        invalid = renamed(refused, {"callback_url": "configuration.taskPushNotificationConfig.url"})
        if any(_under(str(e.get("field", "")), "input") for e in invalid.errors):
            raise _renamed(invalid, "input", source) from None
        raise _renamed(invalid, "config", "metadata.config") from None
    except Conflict as busy:
        if "Idempotency-Key" in busy.detail:
            raise InvalidParams(
                "messageId was already used with a different request",
                errors=[{"field": "message.messageId", "message": "reused with a different request"}],
            ) from None
        raise UnsupportedOperation(
            f"context {context_id} has a task in progress: answer or cancel it, or use another context",
            contextId=context_id,
        ) from None


def answer(caller: Caller, run: Run, message: Message) -> Run:
    """Answer the checkpoint the task waits on, exactly once (the engine refuses a second answer)."""
    state = views.STATE[run.status]
    if caller.engine.checkpoints.answered_with(run.run_id, "messageId", message.message_id):
        return run  # this very message answered it already: a resend gets the task, not an error
    if run.terminal:
        raise UnsupportedOperation(
            f"task {run.run_id} is {state}: it accepts no further messages", taskId=run.run_id
        )
    checkpoint = caller.engine.checkpoints.awaiting_answer(run)
    if checkpoint is None:
        raise UnsupportedOperation(
            f"task {run.run_id} is {state}, not waiting for input", taskId=run.run_id, state=state
        )
    if checkpoint.type == "approval":
        decision: Approve | Reject | Submit = parts.approval(message.parts)
    else:
        # A durable run's callback of no declared kind takes any JSON object.
        kind = caller.engine.workflows.get(run.workflow_name, run.workflow_version).checkpoints.get(
            checkpoint.name
        )
        model = kind.response_model if kind is not None else None
        data, _ = parts.object_from_parts(model, message.parts, "message.parts")
        decision = Submit(data)
    try:
        caller.engine.checkpoints.answer(
            caller.tenant_id,
            run.run_id,
            checkpoint.checkpoint_id,
            decision,
            caller.principal,
            via=PROTOCOL,
            origin=message.model_dump(mode="json", by_alias=True, exclude_none=True),  # history shows it
        )
    except ValidationFailed as invalid:
        raise _renamed(invalid, "data", "message.parts.data") from None
    except Conflict as lost:
        raise UnsupportedOperation(
            f"task {run.run_id} is no longer waiting for this input: {lost.detail}"
        ) from None
    return caller.engine.runs.get(caller.tenant_id, run.run_id)


def settle(caller: Caller, run: Run) -> Run:
    """Blocking SendMessage: the task once terminal or interrupted, or as it is at the wait limit."""
    if run.status in views.SETTLED:
        return run
    return caller.engine.runs.wait(
        caller.tenant_id,
        run.run_id,
        wait_seconds(),
        until=lambda r: r.status in views.SETTLED,
    )


def send_blocking(caller: Caller, request: SendMessageRequest) -> dict[str, Any]:
    """SendMessage's result: the task once settled, or at once when `returnImmediately` asks so."""
    run, _ = send(caller, request)
    configuration = request.configuration
    if not (configuration and configuration.return_immediately):
        run = settle(caller, run)
    history = configuration.history_length if configuration else None
    return {"task": views.task(caller.engine, run, history_length=history)}

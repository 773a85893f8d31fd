"""A2A operations as engine calls, shared by both bindings: a message creates a run of a workflow
(the `tenant` names it) on the context's thread, or answers the checkpoint its task waits on; tasks
are read, listed, cancelled and streamed; push notification configs are the run's webhook."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agent_runtime.a2a import views
from agent_runtime.a2a.errors import (
    ContentTypeNotSupported,
    InvalidParams,
    TaskNotCancelable,
    TaskNotFound,
    UnsupportedOperation,
)
from agent_runtime.a2a.models import (
    ListTasksRequest,
    Message,
    Part,
    SendMessageRequest,
    TaskPushNotificationConfig,
)
from agent_runtime.config import settings
from agent_runtime.engine import Engine, budget
from agent_runtime.engine.checkpoints import Approve, Reject, Submit
from agent_runtime.engine.model import Run, RunProgress
from agent_runtime.engine.runs import OnThread, RunSpec
from agent_runtime.errors import Conflict, NotFound, ValidationFailed
from agent_runtime.validation import field_errors
from agent_runtime.workflows.checkpoints import ApprovalResponse
from agent_runtime.workflows.sdk import Workflow

PROTOCOL = "a2a"
CONTEXT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
IDEMPOTENCY_SAFE = re.compile(r"^[\x21-\x7e]{1,240}$")
STREAM_POLL_SECONDS = 0.2
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Caller:
    engine: Engine
    tenant_id: str
    principal: str | None
    agent: str | None  # A2A's `tenant`: the workflow the interface serves (None: the runtime's card)


# -- parts -> JSON ------------------------------------------------------------------------------
def _object_from_parts(model: type[BaseModel] | None, parts: list[Part], where: str) -> tuple[Any, str]:
    """The JSON object a message's parts stand for, and the field path of where it came from: a data
    part holding an object; or text, put in the schema's only string field, as a human message when
    the schema takes `messages`, or parsed when it is a JSON object."""
    for index, part in enumerate(parts):
        if part.kind() == "invalid":
            raise InvalidParams(
                "a part holds exactly one of text, raw, url or data",
                errors=[{"field": f"{where}[{index}]", "message": "exactly one of text, raw, url, data"}],
            )
        if part.kind() in {"raw", "url"}:
            raise ContentTypeNotSupported(
                "this agent takes text and data parts (files are its outputs, as artifacts)",
                errors=[{"field": f"{where}[{index}]", "message": "send text or data"}],
            )
    data = [(i, p) for i, p in enumerate(parts) if p.kind() == "data"]
    if len(data) > 1:
        raise InvalidParams(
            "send one data part (the object the workflow takes)",
            errors=[{"field": where, "message": f"{len(data)} data parts"}],
        )
    if data:
        index, part = data[0]
        if not isinstance(part.data, dict):
            raise InvalidParams(
                "the data part must hold a JSON object",
                errors=[{"field": f"{where}[{index}].data", "message": "expected an object"}],
            )
        return part.data, f"{where}[{index}].data"
    text = "\n".join(p.text or "" for p in parts)
    schema = model.model_json_schema() if model is not None else {}
    properties: dict[str, Any] = schema.get("properties") or {}
    if "messages" in properties:
        return {"messages": [{"type": "human", "content": text}]}, where
    strings = [k for k, v in properties.items() if isinstance(v, dict) and v.get("type") == "string"]
    required = [k for k in schema.get("required") or [] if k in properties]
    if len(strings) == 1 and set(required) <= set(strings):
        return {strings[0]: text}, where
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed, where
    wanted = ", ".join(sorted(properties)) or "an object"
    raise InvalidParams(
        f"these parts don't fit the expected schema (fields: {wanted}): send a data part with an object",
        errors=[{"field": where, "message": f"expected a data part with {wanted}"}],
    )


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


# -- which workflow ---------------------------------------------------------------------------
def workflow_for(caller: Caller, request: SendMessageRequest) -> Workflow:
    metadata = {**(request.metadata or {}), **(request.message.metadata or {})}
    name = caller.agent or metadata.get("skill")
    field = "tenant" if caller.agent else "metadata.skill"
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


def _task_run(caller: Caller, task_id: str) -> Run:
    try:
        run = caller.engine.runs.get(caller.tenant_id, task_id)
    except NotFound:
        raise TaskNotFound(f"task {task_id!r} does not exist", taskId=task_id) from None
    if caller.agent and run.workflow_name != caller.agent:
        raise TaskNotFound(f"task {task_id!r} is not a task of {caller.agent}", taskId=task_id)
    return run


# -- SendMessage ------------------------------------------------------------------------------
def _key(message_id: str) -> str:
    if IDEMPOTENCY_SAFE.match(message_id):
        return f"a2a:{message_id}"
    return "a2a-sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


def _fingerprint(caller: Caller, request: SendMessageRequest) -> dict[str, Any]:
    """The request as it defines the run: the same messageId with another of these is refused."""
    push = request.configuration.task_push_notification_config if request.configuration else None
    return {
        "tenant": caller.agent,
        "message": request.message.model_dump(mode="json", by_alias=True, exclude_none=True),
        "metadata": request.metadata,
        "push": push.model_dump(mode="json", by_alias=True, exclude_none=True) if push else None,
    }


def send(caller: Caller, request: SendMessageRequest) -> tuple[Run, bool]:
    """A new task, or (with message.taskId) the answer to the checkpoint the task waits on."""
    message = request.message
    if request.tenant and caller.agent and request.tenant != caller.agent:
        raise InvalidParams(
            "tenant differs from the interface's", errors=[{"field": "tenant", "message": "mismatch"}]
        )
    if message.task_id:
        run = _task_run(caller, message.task_id)
        if message.context_id and message.context_id != views.context_of(run):
            raise InvalidParams(
                "contextId is not the task's",
                errors=[
                    {"field": "message.contextId", "message": f"task's context is {views.context_of(run)}"}
                ],
            )
        return answer(caller, run, message), False
    workflow = workflow_for(caller, request)
    context_id = message.context_id or str(uuid.uuid4())
    if not CONTEXT_ID.match(context_id):
        raise InvalidParams(
            "contextId must be 1-200 characters of A-Z a-z 0-9 . _ : -",
            errors=[{"field": "message.contextId", "message": "use a server-issued contextId"}],
        )
    run_input, source = _object_from_parts(workflow.input_model, message.parts, "message.parts")
    metadata = {**(request.metadata or {})}
    config = metadata.pop("config", None) or {}
    if not isinstance(config, dict):
        raise InvalidParams(
            "metadata.config must be an object",
            errors=[{"field": "metadata.config", "message": "expected an object"}],
        )
    push = request.configuration.task_push_notification_config if request.configuration else None
    stored_message = message.model_dump(mode="json", by_alias=True, exclude_none=True)
    stored_message["contextId"] = context_id
    fingerprint = _fingerprint(caller, request)
    options: dict[str, Any] = {
        "message": stored_message,
        "fingerprint": hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest(),
    }
    headers: dict[str, str] = {}
    if push is not None:
        options["push"] = push_option(push)
        headers = push_headers(push, "configuration.taskPushNotificationConfig")
    spec = RunSpec(
        workflow_name=workflow.name,
        workflow_version=workflow.version,
        input=run_input,
        config=config,
        metadata={"a2a_message_id": message.message_id},
        callback_url=push.url if push else None,
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
            callback_field="configuration.taskPushNotificationConfig.url",
        )
    except ValidationFailed as invalid:
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


def _approval(parts: list[Part]) -> Approve | Reject:
    data = [p.data for p in parts if p.kind() == "data"]
    text = " ".join(p.text or "" for p in parts if p.kind() == "text").strip()
    if data:
        value = data[0]
        if isinstance(value, dict) and "decision" in value and "approved" not in value:
            value = {
                **{k: v for k, v in value.items() if k != "decision"},
                "approved": value["decision"] in {"approve", "approved"},
            }
        try:
            decision = ApprovalResponse.model_validate(value)
        except ValidationError as error:
            raise InvalidParams(
                "the answer does not match the checkpoint's response schema",
                errors=field_errors(error, "message.parts.data"),
            ) from error
        return Approve(decision.comment) if decision.approved else Reject(decision.reason)
    word, _, rest = text.partition(":")
    if word.strip().lower() in {"approve", "approved", "yes"}:
        return Approve(rest.strip() or None)
    if word.strip().lower() in {"reject", "rejected", "no"}:
        return Reject(rest.strip() or None)
    raise InvalidParams(
        'answer an approval with a data part {"approved": true|false, "comment"?, "reason"?} '
        "or the text approve / reject[: reason]",
        errors=[{"field": "message.parts", "message": "an approval decision"}],
    )


def answer(caller: Caller, run: Run, message: Message) -> Run:
    """Answer the checkpoint the task waits on, exactly once (the engine refuses a second answer)."""
    state = views.STATE[run.status]
    if run.terminal:
        raise UnsupportedOperation(
            f"task {run.run_id} is {state}: it accepts no further messages", taskId=run.run_id
        )
    checkpoint = caller.engine.checkpoints.pending(run.run_id) if run.status == "waiting_for_input" else None
    if checkpoint is None:
        raise UnsupportedOperation(
            f"task {run.run_id} is {state}, not waiting for input", taskId=run.run_id, state=state
        )
    if checkpoint.type == "approval":
        decision: Approve | Reject | Submit = _approval(message.parts)
    else:
        kind = caller.engine.workflows.get(run.workflow_name, run.workflow_version).checkpoints[
            checkpoint.name
        ]
        data, _ = _object_from_parts(kind.response_model, message.parts, "message.parts")
        decision = Submit(data)
    try:
        caller.engine.checkpoints.answer(
            caller.tenant_id, run.run_id, checkpoint.checkpoint_id, decision, caller.principal, via="a2a"
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
        settings().acp_wait_seconds,
        until=lambda r: r.status in views.SETTLED,
    )


# -- tasks ------------------------------------------------------------------------------------
def get(caller: Caller, task_id: str, history_length: int | None = None) -> dict[str, Any]:
    return views.task(caller.engine, _task_run(caller, task_id), history_length=history_length)


def cancel(caller: Caller, task_id: str) -> dict[str, Any]:
    run = _task_run(caller, task_id)
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

    def wanted(run: Run) -> bool:
        return (
            (status is None or run.status == status)
            and (not caller.agent or run.workflow_name == caller.agent)
            and (not request.status_timestamp_after or run.updated_at >= request.status_timestamp_after)
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


# -- streams ----------------------------------------------------------------------------------
Wrap = Callable[[dict[str, Any]], str]


def sse_frame(payload: str, event_id: int | None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}data: {payload}\n\n"


def stream(caller: Caller, run: Run, after: int | None, wrap: Wrap) -> str:
    """SSE: the task first (its snapshot covers every event up to its `eventId`), then an update per
    event after it, until the task is terminal or interrupted or the window closes. Resuming after an
    id (`after`) sends the snapshot without an id, then every event after that id: no gap, no repeat."""
    start = run.event_seq if after is None else after
    snapshot = views.task(caller.engine, run, event_id=run.event_seq if after is None else None)
    frames = [sse_frame(wrap({"task": snapshot}), run.event_seq if after is None else None)]

    def frame(progress: RunProgress, event: Any) -> str | None:
        responses = views.stream_responses(caller.engine, run, event)
        if not responses:
            return None
        last = len(responses) - 1
        return "".join(sse_frame(wrap(r), event.seq if i == last else None) for i, r in enumerate(responses))

    window = caller.engine.streams.follow(
        caller.tenant_id,
        run.run_id,
        start,
        frame=frame,
        settled=lambda progress: progress.status in views.SETTLED,
        window_seconds=settings().acp_wait_seconds,
        poll_seconds=STREAM_POLL_SECONDS,
        close_when_quiet=False,
        sleep=time.sleep,
    )
    body = "".join(frames + window.frames)
    # A comment and no blank line: no client parses it as an event.
    return body if window.finished else body + ": window closed; SubscribeToTask with Last-Event-ID\n"


def subscribe(caller: Caller, task_id: str, after: int | None, wrap: Wrap) -> str:
    run = _task_run(caller, task_id)
    if run.terminal and after is None:
        raise UnsupportedOperation(
            f"task {task_id} is {views.STATE[run.status]}: nothing to subscribe to "
            "(resume with Last-Event-ID to read the updates after an id)",
            taskId=task_id,
        )
    return stream(caller, run, after, wrap)


# -- push notification configs ----------------------------------------------------------------
# A task has at most one push notification config: it is the run's webhook, whose deliveries the engine
# signs, retries and logs. Its `token` and `authentication` are sent as headers (as a2a-sdk's sender
# does) and are write-only: kept with the run's callback, never shown or logged.
TOKEN_HEADER = "X-A2A-Notification-Token"
SCHEME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")  # an RFC 9110 token
SECRET_TEXT = re.compile(r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$")  # visible ASCII, no line breaks
CONFIG_ATTEMPTS = 3


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def push_headers(config: TaskPushNotificationConfig, where: str) -> dict[str, str]:
    """The headers a config asks its notifications to carry, or InvalidParams naming the field."""
    headers: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    if config.token is not None and config.token != "":
        if SECRET_TEXT.match(config.token):
            headers[TOKEN_HEADER] = config.token
        else:
            errors.append({"field": _at(where, "token"), "message": "visible ASCII, no line breaks"})
    auth = config.authentication
    if auth is not None:
        if not SCHEME.match(auth.scheme):
            errors.append({"field": _at(where, "authentication.scheme"), "message": "an HTTP auth scheme"})
        elif auth.credentials:
            if SECRET_TEXT.match(auth.credentials):
                headers["Authorization"] = f"{auth.scheme} {auth.credentials}"
            else:
                errors.append(
                    {
                        "field": _at(where, "authentication.credentials"),
                        "message": "visible ASCII, no line breaks",
                    }
                )
    if errors:
        raise InvalidParams("the push notification config is not valid", errors=errors)
    return headers


def push_option(config: TaskPushNotificationConfig) -> dict[str, Any]:
    """What the run keeps to show the config again: never its token or credentials."""
    option: dict[str, Any] = {"url": config.url}
    if config.id:
        option["id"] = config.id
    if config.authentication is not None:
        option["scheme"] = config.authentication.scheme
    return option


def push_view(run: Run, option: dict[str, Any]) -> dict[str, Any]:
    """A config as A2A shows it: its id (the task id when none was given), url and auth scheme."""
    body: dict[str, Any] = {"id": option.get("id") or run.run_id, "taskId": run.run_id, "url": option["url"]}
    if option.get("scheme"):
        body["authentication"] = {"scheme": option["scheme"]}
    return body


def _push(run: Run) -> dict[str, Any] | None:
    option = run.protocol_options.get("push")
    return option if isinstance(option, dict) and run.callback_url else None


def _config_not_found(task_id: str, config_id: str) -> TaskNotFound:
    return TaskNotFound(f"task {task_id} has no push notification config {config_id!r}", taskId=task_id)


def create_push(
    caller: Caller, task_id: str, config: TaskPushNotificationConfig, where: str = ""
) -> dict[str, Any]:
    """Set the task's push notification config, or replace it (the same id; no id is the task id).
    A second config with another id is refused: this server sends one per task."""
    if config.task_id and config.task_id != task_id:
        raise InvalidParams(
            "taskId differs from the task's", errors=[{"field": _at(where, "taskId"), "message": "mismatch"}]
        )
    headers = push_headers(config, where)
    config_id = config.id or task_id
    for _ in range(CONFIG_ATTEMPTS):
        run = _task_run(caller, task_id)
        existing = _push(run)
        if existing is not None and (existing.get("id") or run.run_id) != config_id:
            raise UnsupportedOperation(
                f"task {task_id} has a push notification config ({existing.get('id') or run.run_id}); "
                "this server sends one per task: delete it first, or create with its id to replace it",
                taskId=task_id,
            )
        option = {**push_option(config), "id": config_id}
        try:
            run = caller.engine.runs.set_callback(
                caller.tenant_id,
                run,
                config.url,
                headers,
                protocol_options={**run.protocol_options, "push": option},
                callback_field=_at(where, "url"),
            )
        except ValidationFailed as invalid:
            raise InvalidParams(invalid.detail, errors=invalid.errors) from None
        except Conflict as refused:
            if "status_now" in refused.extra:
                raise UnsupportedOperation(
                    f"task {task_id} is {views.STATE[run.status]}: it sends no more notifications",
                    taskId=task_id,
                ) from None
            continue  # its config changed meanwhile: decide again
        return push_view(run, option)
    raise UnsupportedOperation(f"task {task_id}'s push notification config keeps changing: try again")


def get_push(caller: Caller, task_id: str, config_id: str) -> dict[str, Any]:
    run = _task_run(caller, task_id)
    existing = _push(run)
    if existing is None or (existing.get("id") or run.run_id) != config_id:
        raise _config_not_found(task_id, config_id)
    return push_view(run, existing)


def list_push(caller: Caller, task_id: str) -> dict[str, Any]:
    run = _task_run(caller, task_id)
    existing = _push(run)
    return {"configs": [push_view(run, existing)] if existing else [], "nextPageToken": ""}


def delete_push(caller: Caller, task_id: str, config_id: str) -> None:
    """Remove the config (the run's callback and its headers); deleting what isn't there is done."""
    for _ in range(CONFIG_ATTEMPTS):
        run = _task_run(caller, task_id)
        existing = _push(run)
        if existing is None or (existing.get("id") or run.run_id) != config_id:
            return
        options = {k: v for k, v in run.protocol_options.items() if k != "push"}
        try:
            caller.engine.runs.set_callback(caller.tenant_id, run, None, protocol_options=options)
            return
        except Conflict:
            continue  # its config changed meanwhile: look again
    raise UnsupportedOperation(f"task {task_id}'s push notification config keeps changing: try again")

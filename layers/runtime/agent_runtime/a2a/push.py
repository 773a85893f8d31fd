"""Push notification configs: a task has at most one, and it is the run's webhook, whose deliveries
the engine signs, retries and logs. Its `token` and `authentication` are sent as headers (as a2a-sdk's
sender does) and are write-only: kept with the run's callback, never shown or logged."""

from __future__ import annotations

import re
from typing import Any

from agent_runtime.a2a import views
from agent_runtime.a2a.caller import Caller, task_run
from agent_runtime.a2a.errors import InvalidParams, TaskNotFound, UnsupportedOperation
from agent_runtime.a2a.models import TaskPushNotificationConfig
from agent_runtime.engine.model import Run
from agent_runtime.errors import Conflict, ValidationFailed, renamed

TOKEN_HEADER = "X-A2A-Notification-Token"
SCHEME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")  # an RFC 9110 token
SECRET_TEXT = re.compile(r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$")  # visible ASCII, no line breaks
CONFIG_ATTEMPTS = 3


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def headers(config: TaskPushNotificationConfig, where: str) -> dict[str, str]:
    """The headers a config asks its notifications to carry, or InvalidParams naming the field."""
    out: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    if config.token is not None and config.token != "":
        if SECRET_TEXT.match(config.token):
            out[TOKEN_HEADER] = config.token
        else:
            errors.append({"field": _at(where, "token"), "message": "visible ASCII, no line breaks"})
    auth = config.authentication
    if auth is not None:
        if not SCHEME.match(auth.scheme):
            errors.append({"field": _at(where, "authentication.scheme"), "message": "an HTTP auth scheme"})
        elif auth.credentials:
            if SECRET_TEXT.match(auth.credentials):
                out["Authorization"] = f"{auth.scheme} {auth.credentials}"
            else:
                errors.append(
                    {
                        "field": _at(where, "authentication.credentials"),
                        "message": "visible ASCII, no line breaks",
                    }
                )
    if errors:
        raise InvalidParams("the push notification config is not valid", errors=errors)
    return out


def option(config: TaskPushNotificationConfig) -> dict[str, Any]:
    """What the run keeps to show the config again: never its token or credentials."""
    kept: dict[str, Any] = {"url": config.url}
    if config.id:
        kept["id"] = config.id
    if config.authentication is not None:
        kept["scheme"] = config.authentication.scheme
    return kept


def view(run: Run, kept: dict[str, Any]) -> dict[str, Any]:
    """A config as A2A shows it: its id (the task id when none was given), url and auth scheme."""
    body: dict[str, Any] = {"id": kept.get("id") or run.run_id, "taskId": run.run_id, "url": kept["url"]}
    if kept.get("scheme"):
        body["authentication"] = {"scheme": kept["scheme"]}
    return body


def _push(run: Run) -> dict[str, Any] | None:
    kept = run.protocol_options.get("push")
    return kept if isinstance(kept, dict) and run.callback_url else None


def _config_not_found(task_id: str, config_id: str) -> TaskNotFound:
    return TaskNotFound(f"task {task_id} has no push notification config {config_id!r}", taskId=task_id)


def create(
    caller: Caller, task_id: str, config: TaskPushNotificationConfig, where: str = ""
) -> dict[str, Any]:
    """Set the task's push notification config, or replace it (the same id; no id is the task id).
    A second config with another id is refused: this server sends one per task."""
    if config.task_id and config.task_id != task_id:
        raise InvalidParams(
            "taskId differs from the task's", errors=[{"field": _at(where, "taskId"), "message": "mismatch"}]
        )
    sent = headers(config, where)
    config_id = config.id or task_id
    for _ in range(CONFIG_ATTEMPTS):
        run = task_run(caller, task_id)
        existing = _push(run)
        if existing is not None and (existing.get("id") or run.run_id) != config_id:
            raise UnsupportedOperation(
                f"task {task_id} has a push notification config ({existing.get('id') or run.run_id}); "
                "this server sends one per task: delete it first, or create with its id to replace it",
                taskId=task_id,
            )
        chosen = {**option(config), "id": config_id}
        try:
            run = caller.engine.runs.set_callback(
                caller.tenant_id,
                run,
                config.url,
                sent,
                protocol_options={**run.protocol_options, "push": chosen},
            )
        except ValidationFailed as refused:
            invalid = renamed(refused, {"callback_url": _at(where, "url")})
            raise InvalidParams(invalid.detail, errors=invalid.errors) from None
        except Conflict as refused:
            if "status_now" in refused.extra:
                raise UnsupportedOperation(
                    f"task {task_id} is {views.STATE[run.status]}: it sends no more notifications",
                    taskId=task_id,
                ) from None
            continue  # its config changed meanwhile: decide again
        return view(run, chosen)
    raise UnsupportedOperation(f"task {task_id}'s push notification config keeps changing: try again")


def get(caller: Caller, task_id: str, config_id: str) -> dict[str, Any]:
    run = task_run(caller, task_id)
    existing = _push(run)
    if existing is None or (existing.get("id") or run.run_id) != config_id:
        raise _config_not_found(task_id, config_id)
    return view(run, existing)


def list_configs(caller: Caller, task_id: str) -> dict[str, Any]:
    run = task_run(caller, task_id)
    existing = _push(run)
    return {"configs": [view(run, existing)] if existing else [], "nextPageToken": ""}


def delete(caller: Caller, task_id: str, config_id: str) -> None:
    """Remove the config (the run's callback and its headers); deleting what isn't there is done."""
    for _ in range(CONFIG_ATTEMPTS):
        run = task_run(caller, task_id)
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

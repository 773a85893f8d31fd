"""The HTTP+JSON binding (spec section 11) under /a2a: `[/{tenant}]/message:send`, `/message:stream`,
`/tasks`, `/tasks/{id}` (`:cancel`, `:subscribe`), `/tasks/{id}/pushNotificationConfigs[/{configId}]`,
`/extendedAgentCard`. API Gateway routes it as one greedy path (an operation suffix such as
`{id}:cancel` can't be a route of its own), so this module routes the operations; an optional first
segment that isn't an operation is the `tenant` (the workflow). Errors are google.rpc.Status bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from agent_runtime.a2a import cards, messages, push, streams, tasks
from agent_runtime.a2a.caller import Caller
from agent_runtime.a2a.errors import InvalidParams, MethodNotFound, rest_error
from agent_runtime.a2a.http import base_url, caller, check_version
from agent_runtime.a2a.models import ListTasksRequest, SendMessageRequest, TaskPushNotificationConfig
from agent_runtime.engine import budget
from agent_runtime.errors import DomainError
from agent_runtime.http.adapter import Request, Response, api_handler
from agent_runtime.http.sse import last_event_id, sse
from agent_runtime.validation import field_errors

CONTENT_TYPE = "application/a2a+json"
OPERATION_ROOTS = frozenset({"message:send", "message:stream", "tasks", "extendedAgentCard"})
SUFFIXES = (":cancel", ":subscribe")


def _json(status: int, value: Any) -> Response:
    return Response(status, budget.compact_json(value), {"Content-Type": CONTENT_TYPE})


def _render(error: DomainError, path: str | None) -> Response:
    """Errors are `application/json`, as the spec's examples and a2a-sdk's server send them."""
    status, body = rest_error(error)
    return Response.json(status, body)


rest_endpoint = api_handler(_render)


def _body(request: Request, model: type[BaseModel]) -> Any:
    raw = request.json_value(empty=b"{}")
    if not isinstance(raw, dict):
        raise InvalidParams(
            "the body must be a JSON object", errors=[{"field": "body", "message": "expected an object"}]
        )
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidParams("the body is not valid", errors=field_errors(error)) from error


def _query(request: Request, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate({k: v for k, v in request.query.items() if k != "A2A-Version"})
    except ValidationError as error:
        raise InvalidParams("query parameters are not valid", errors=field_errors(error)) from error


def _history(request: Request) -> int | None:
    raw = request.query.get("historyLength")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise InvalidParams(
            "historyLength must be an integer", errors=[{"field": "historyLength", "message": raw[:40]}]
        )
    return int(raw)


def route(request: Request) -> Response:
    check_version(request)
    segments = [s for s in (request.path_params.get("path") or "").split("/") if s]
    agent = None
    if segments and segments[0] not in OPERATION_ROOTS:
        agent, segments = segments[0], segments[1:]
    who = caller(request, agent)
    method = request.method
    handler = _operation(method, segments)
    if handler is None:
        raise MethodNotFound(
            f"no A2A operation is {method} {'/'.join(segments) or '/'}", path="/".join(segments)
        )
    return handler(request, who, segments)


Operation = Callable[[Request, Caller, list[str]], Response]


def _operation(method: str, segments: list[str]) -> Operation | None:
    shape = (method, len(segments), segments[0] if segments else "")
    if shape == ("POST", 1, "message:send"):
        return send_message
    if shape == ("POST", 1, "message:stream"):
        return send_streaming_message
    if shape == ("GET", 1, "tasks"):
        return list_tasks
    if shape == ("GET", 1, "extendedAgentCard"):
        return get_extended_agent_card
    if len(segments) == 2 and segments[0] == "tasks":
        reference = segments[1]
        if reference.endswith(":subscribe") and method in {"GET", "POST"}:
            return subscribe_to_task  # the spec's text says POST, its proto GET: both
        if reference.endswith(":cancel") and method == "POST":
            return cancel_task
        if ":" not in reference and method == "GET":
            return get_task
        return None
    if len(segments) in {3, 4} and segments[0] == "tasks" and segments[2] == "pushNotificationConfigs":
        return {
            ("POST", 3): create_push_config,
            ("GET", 3): list_push_configs,
            ("GET", 4): get_push_config,
            ("DELETE", 4): delete_push_config,
        }.get((method, len(segments)))
    return None


def _task_id(segments: list[str]) -> str:
    task = segments[1]
    for suffix in SUFFIXES:
        task = task.removesuffix(suffix)
    return task


def send_message(request: Request, who: Caller, segments: list[str]) -> Response:
    return _json(200, messages.send_blocking(who, _body(request, SendMessageRequest)))


def _wrap(response: dict[str, Any]) -> str:
    return budget.compact_json(response)


def send_streaming_message(request: Request, who: Caller, segments: list[str]) -> Response:
    run, _ = messages.send(who, _body(request, SendMessageRequest))
    return sse(streams.stream(who, run, None, _wrap))


def get_task(request: Request, who: Caller, segments: list[str]) -> Response:
    return _json(200, tasks.get(who, _task_id(segments), _history(request)))


def list_tasks(request: Request, who: Caller, segments: list[str]) -> Response:
    return _json(200, tasks.list_tasks(who, _query(request, ListTasksRequest)))


def cancel_task(request: Request, who: Caller, segments: list[str]) -> Response:
    return _json(200, tasks.cancel(who, _task_id(segments)))


def subscribe_to_task(request: Request, who: Caller, segments: list[str]) -> Response:
    return sse(streams.subscribe(who, _task_id(segments), last_event_id(request), _wrap))


def create_push_config(request: Request, who: Caller, segments: list[str]) -> Response:
    config: TaskPushNotificationConfig = _body(request, TaskPushNotificationConfig)
    return _json(200, push.create(who, segments[1], config))


def list_push_configs(request: Request, who: Caller, segments: list[str]) -> Response:
    return _json(200, push.list_configs(who, segments[1]))


def get_push_config(request: Request, who: Caller, segments: list[str]) -> Response:
    return _json(200, push.get(who, segments[1], segments[3]))


def delete_push_config(request: Request, who: Caller, segments: list[str]) -> Response:
    push.delete(who, segments[1], segments[3])
    return _json(200, {})


def get_extended_agent_card(request: Request, who: Caller, segments: list[str]) -> Response:
    return _json(200, cards.extended_card(who.engine.workflows, who.agent, base_url(request)))

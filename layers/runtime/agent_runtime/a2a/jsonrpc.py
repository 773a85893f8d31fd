"""The JSON-RPC 2.0 binding: one endpoint, every A2A method (spec section 9). Errors are JSON-RPC error
objects (HTTP 200) with A2A's codes and an ErrorInfo detail; streams are SSE whose data are JSON-RPC
responses wrapping StreamResponses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from agent_runtime.a2a import cards, tasks, views
from agent_runtime.a2a.errors import InvalidParams, InvalidRequest, MethodNotFound, ParseError, jsonrpc_error
from agent_runtime.a2a.http import base_url, caller, check_version, last_event_id, sse
from agent_runtime.a2a.models import (
    JsonRpcRequest,
    ListTasksRequest,
    PushConfigRequest,
    SendMessageRequest,
    TaskPushNotificationConfig,
    TaskRequest,
    TenantRequest,
)
from agent_runtime.engine import budget
from agent_runtime.errors import BadRequest, DomainError
from agent_runtime.http.adapter import Request, Response, api_handler
from agent_runtime.http.errors import Unauthorized
from agent_runtime.validation import field_errors


def _status(error: DomainError) -> int:
    """JSON-RPC errors travel in a 200, but a missing tenant is the HTTP 401 every door answers."""
    return 401 if isinstance(error, Unauthorized) else 200


def _render(error: DomainError, path: str | None) -> Response:
    """Errors before a request id is known (no tenant, body too large)."""
    return Response.json(_status(error), jsonrpc_error(error, None))


jsonrpc_endpoint = api_handler(_render)


def _params(model: type[BaseModel], params: dict[str, Any] | None) -> Any:
    try:
        return model.model_validate(params or {})
    except ValidationError as error:
        raise InvalidParams("params are not valid", errors=field_errors(error, "params")) from error


# JSON-RPC ids are strings, numbers or null; one that isn't (an object, an array, a megabyte of text)
# is answered with a null id rather than echoed back.
MAX_ID_CHARS = 256


def _echoable(value: Any) -> Any:
    if isinstance(value, str) and len(value) <= MAX_ID_CHARS:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _result(request_id: Any, result: Any) -> Response:
    return Response.json(200, {"jsonrpc": "2.0", "id": request_id, "result": result})


def handle(request: Request) -> Response:
    try:
        raw = request.json_value()
    except BadRequest as error:
        return Response.json(200, jsonrpc_error(ParseError(error.detail), None))
    request_id = _echoable(raw.get("id")) if isinstance(raw, dict) else None
    if isinstance(raw, dict) and raw.get("jsonrpc") == "2.0" and "id" not in raw:
        # A notification: JSON-RPC gets no answer to one, and A2A defines none, so nothing is done.
        return Response(204)
    try:
        if not isinstance(raw, dict):
            raise InvalidRequest("a JSON-RPC request is an object (batches are not supported)")
        try:
            call = JsonRpcRequest.model_validate(raw)
        except ValidationError as error:
            raise InvalidRequest("not a JSON-RPC 2.0 request", errors=field_errors(error)) from error
        check_version(request)
        return dispatch(request, call)
    except DomainError as error:
        return Response.json(_status(error), jsonrpc_error(error, request_id))


def dispatch(request: Request, call: JsonRpcRequest) -> Response:
    params = call.params or {}
    agent = params.get("tenant") if isinstance(params.get("tenant"), str) else None
    who = caller(request, agent)
    rid = call.id

    def wrap(response: dict[str, Any]) -> str:
        return budget.compact_json({"jsonrpc": "2.0", "id": rid, "result": response})

    method = call.method
    if method == "SendMessage":
        body = _params(SendMessageRequest, params)
        run, _ = tasks.send(who, body)
        configuration = body.configuration
        if not (configuration and configuration.return_immediately):
            run = tasks.settle(who, run)
        history = configuration.history_length if configuration else None
        return _result(rid, {"task": views.task(who.engine, run, history_length=history)})
    if method == "SendStreamingMessage":
        run, _ = tasks.send(who, _params(SendMessageRequest, params))
        return sse(tasks.stream(who, run, None, wrap))
    if method == "GetTask":
        body = _params(TaskRequest, params)
        return _result(rid, tasks.get(who, body.id, body.history_length))
    if method == "ListTasks":
        return _result(rid, tasks.list_tasks(who, _params(ListTasksRequest, params)))
    if method == "CancelTask":
        return _result(rid, tasks.cancel(who, _params(TaskRequest, params).id))
    if method == "SubscribeToTask":
        body = _params(TaskRequest, params)
        return sse(tasks.subscribe(who, body.id, last_event_id(request), wrap))
    if method == "CreateTaskPushNotificationConfig":
        config = _params(TaskPushNotificationConfig, params)
        if not config.task_id:
            raise InvalidParams(
                "taskId is required", errors=[{"field": "params.taskId", "message": "required"}]
            )
        return _result(rid, tasks.create_push(who, config.task_id, config, "params"))
    if method in {"GetTaskPushNotificationConfig", "DeleteTaskPushNotificationConfig"}:
        body = _params(PushConfigRequest, params)
        if not body.id:
            raise InvalidParams("id is required", errors=[{"field": "params.id", "message": "required"}])
        if method == "DeleteTaskPushNotificationConfig":
            tasks.delete_push(who, body.task_id, body.id)
            return _result(rid, {})
        return _result(rid, tasks.get_push(who, body.task_id, body.id))
    if method == "ListTaskPushNotificationConfigs":
        return _result(rid, tasks.list_push(who, _params(PushConfigRequest, params).task_id))
    if method == "GetExtendedAgentCard":
        _params(TenantRequest, params)
        return _result(rid, extended_card(who, base_url(request)))
    raise MethodNotFound(
        f"no method {method!r} (A2A 1.0 names methods like SendMessage, GetTask)", method=method
    )


def extended_card(who: tasks.Caller, base: str) -> dict[str, Any]:
    registry = who.engine.workflows
    if who.agent:
        try:
            workflow = registry.get(who.agent)
        except DomainError as missing:
            raise InvalidParams(
                str(missing), errors=[{"field": "tenant", "message": "no such workflow"}]
            ) from None
        return cards.workflow_card(workflow, base, extended=True)
    return cards.runtime_card(registry, base, extended=True)

"""The JSON-RPC 2.0 binding: one endpoint, every A2A method (spec section 9). Errors are JSON-RPC error
objects (HTTP 200) with A2A's codes and an ErrorInfo detail; streams are SSE whose data are JSON-RPC
responses wrapping StreamResponses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agent_runtime.a2a import cards, messages, push, streams, tasks
from agent_runtime.a2a.caller import Caller
from agent_runtime.a2a.errors import InvalidParams, InvalidRequest, MethodNotFound, ParseError, jsonrpc_error
from agent_runtime.a2a.http import base_url, caller, check_version
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
from agent_runtime.http.sse import last_event_id, sse
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


@dataclass(frozen=True)
class Call:
    """One JSON-RPC call: the HTTP request (for headers), the caller, its id and params."""

    request: Request
    who: Caller
    id: Any
    params: dict[str, Any]

    def result(self, value: Any) -> Response:
        return Response.json(200, {"jsonrpc": "2.0", "id": self.id, "result": value})

    def wrap(self, response: dict[str, Any]) -> str:
        """A StreamResponse as a stream's frame holds it: in a JSON-RPC response."""
        return budget.compact_json({"jsonrpc": "2.0", "id": self.id, "result": response})


def send_message(call: Call) -> Response:
    return call.result(messages.send_blocking(call.who, _params(SendMessageRequest, call.params)))


def send_streaming_message(call: Call) -> Response:
    run, _ = messages.send(call.who, _params(SendMessageRequest, call.params))
    return sse(streams.stream(call.who, run, None, call.wrap))


def get_task(call: Call) -> Response:
    body = _params(TaskRequest, call.params)
    return call.result(tasks.get(call.who, body.id, body.history_length))


def list_tasks(call: Call) -> Response:
    return call.result(tasks.list_tasks(call.who, _params(ListTasksRequest, call.params)))


def cancel_task(call: Call) -> Response:
    return call.result(tasks.cancel(call.who, _params(TaskRequest, call.params).id))


def subscribe_to_task(call: Call) -> Response:
    body = _params(TaskRequest, call.params)
    return sse(streams.subscribe(call.who, body.id, last_event_id(call.request), call.wrap))


def create_push_config(call: Call) -> Response:
    config = _params(TaskPushNotificationConfig, call.params)
    if not config.task_id:
        raise InvalidParams("taskId is required", errors=[{"field": "params.taskId", "message": "required"}])
    return call.result(push.create(call.who, config.task_id, config, "params"))


def _config_ref(call: Call) -> tuple[str, str]:
    body = _params(PushConfigRequest, call.params)
    if not body.id:
        raise InvalidParams("id is required", errors=[{"field": "params.id", "message": "required"}])
    return body.task_id, body.id


def get_push_config(call: Call) -> Response:
    return call.result(push.get(call.who, *_config_ref(call)))


def delete_push_config(call: Call) -> Response:
    push.delete(call.who, *_config_ref(call))
    return call.result({})


def list_push_configs(call: Call) -> Response:
    return call.result(push.list_configs(call.who, _params(PushConfigRequest, call.params).task_id))


def get_extended_agent_card(call: Call) -> Response:
    _params(TenantRequest, call.params)
    who = call.who
    return call.result(cards.extended_card(who.engine.workflows, who.agent, base_url(call.request)))


METHODS: dict[str, Callable[[Call], Response]] = {
    "SendMessage": send_message,
    "SendStreamingMessage": send_streaming_message,
    "GetTask": get_task,
    "ListTasks": list_tasks,
    "CancelTask": cancel_task,
    "SubscribeToTask": subscribe_to_task,
    "CreateTaskPushNotificationConfig": create_push_config,
    "GetTaskPushNotificationConfig": get_push_config,
    "DeleteTaskPushNotificationConfig": delete_push_config,
    "ListTaskPushNotificationConfigs": list_push_configs,
    "GetExtendedAgentCard": get_extended_agent_card,
}


def dispatch(request: Request, call: JsonRpcRequest) -> Response:
    operation = METHODS.get(call.method)
    if operation is None:
        raise MethodNotFound(
            f"no method {call.method!r} (A2A 1.0 names methods like SendMessage, GetTask)", method=call.method
        )
    params = call.params or {}
    agent = params.get("tenant") if isinstance(params.get("tenant"), str) else None
    return operation(Call(request, caller(request, agent), _echoable(call.id), params))

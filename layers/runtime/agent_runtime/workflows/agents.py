"""What agents written as durable code call: models, a person reviewing a tool call, the run's budget.

    response = call_model(context, ModelRequest(messages=..., tools=...))
    for call in response.tool_calls:
        decision = review_tool_call(context, "approve_publish", call)   # accept / edit / respond / ignore

`call_model` is one durable operation: the model's final message, tool calls and usage are stored with
the run, its text streams live as `message.delta` events, and a replay never calls the model again. It
first checks the run's budget (`max_cost_usd`, `max_tokens`, and the tenant's daily budget): over it,
the run pauses on a `budget` checkpoint showing what was spent, until a person raises the budget (or
cancels the run).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from agent_runtime.workflows.budgets import BUDGET, RaiseBudget, Spend, over_budget
from agent_runtime.workflows.checkpoints import CheckpointKind
from agent_runtime.workflows.durable import RunScope, ask_human, current_run

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python.context import DurableContext

    from agent_runtime.models.provider import ModelProvider
    from agent_runtime.models.types import ModelRequest, ModelResponse, ToolUsePart


def call_model(
    context: DurableContext,
    request: ModelRequest,
    *,
    name: str = "model",
    model: str | ModelProvider | None = None,
) -> ModelResponse:
    """Call a model as one durable operation (`name` must be unique in the run's code path, as any
    step's). `model`: a spec (`bedrock:<id>`, `openai:<model>`, `scripted[:file]`) or a provider;
    default: the workflow's, else AGENT_RUNTIME_MODEL, else the scripted model."""
    from agent_runtime.models.events import complete_streaming
    from agent_runtime.models.provider import provider_for
    from agent_runtime.models.types import ModelResponse

    scope = current_run()
    if scope.budgeted:
        _within_budget(context, name, request)

    def call(_: object) -> dict[str, Any]:
        provider = (
            model
            if model is not None and not isinstance(model, str)
            else provider_for(model or scope.workflow.model)
        )
        message_id = f"msg_{uuid.uuid4().hex[:16]}"  # a retried call streams as another message
        response = complete_streaming(provider, request, scope.services.emit, message_id)
        scope.services.record_model_usage(response.model_id, response.usage)
        return response.model_dump(mode="json")

    return ModelResponse.model_validate(context.step(call, name=name))


def _within_budget(context: DurableContext, name: str, request: ModelRequest) -> None:
    """Pause on a budget checkpoint while the call would go over the run's or the tenant's budget. The
    check is a step, so a replay sees what the first run saw."""
    scope = current_run()
    rounds = 0
    while True:
        spend = Spend.model_validate(context.step(_spend_of(scope), name=f"{name}-budget-{rounds}"))
        reason = over_budget(spend, request.max_tokens)
        if not reason:
            return
        spend.reason = reason
        answer = ask_human(
            context, BUDGET, prompt=f"Budget reached: {reason}. Raise it to go on.", payload=spend
        )
        raised = RaiseBudget.model_validate(answer.data or {})
        context.step(_raise(scope, raised), name=f"{name}-raise-{rounds}")
        rounds += 1


def _spend_of(scope: RunScope) -> Callable[[object], dict[str, Any]]:
    return lambda _: scope.services.spend().model_dump()


def _raise(scope: RunScope, raised: RaiseBudget) -> Callable[[object], None]:
    return lambda _: scope.services.raise_budget(raised)


# -- tools a person reviews --------------------------------------------------------------------------
Action = Literal["accept", "edit", "respond", "ignore"]


class ToolCallPayload(BaseModel):
    """What a person reviewing a tool call sees: the tool, its arguments and their JSON Schema."""

    model_config = ConfigDict(title="ToolCall")
    tool: str
    call_id: str
    arguments: dict[str, Any]
    arguments_schema: dict[str, Any]


def tool_approval(tool: str, arguments: type[BaseModel], description: str = "") -> CheckpointKind:
    """The checkpoint kind for reviewing calls of `tool`, whose arguments `arguments` validates. A person
    answers (as `input`, from any door or the console) with `{"action": "accept"}`, `{"action": "edit",
    "arguments": {...}}` (validated: a 422 names the bad field), `{"action": "respond", "message": "..."}`
    (the model gets the message as the tool's result) or `{"action": "ignore"}`."""

    def check(decision: Any) -> Any:
        if decision.action == "edit" and decision.arguments is None:
            raise ValueError("an edit carries the new arguments")
        if decision.action == "respond" and not decision.message:
            raise ValueError("a response carries the message the model gets")
        return decision

    fields: dict[str, Any] = {
        "action": (Action, ...),
        "arguments": (arguments | None, None),
        "message": (str | None, Field(default=None, max_length=20_000)),
    }
    validators: dict[str, Any] = {"_complete": model_validator(mode="after")(check)}
    response: type[BaseModel] = create_model(
        f"{tool.title().replace('_', '')}Decision",
        __config__=ConfigDict(extra="forbid"),
        __validators__=validators,
        **fields,
    )
    return CheckpointKind(
        type="input",
        payload_model=ToolCallPayload,
        response_model=response,
        description=description or f"Review a call of the tool {tool}: accept, edit, respond or ignore.",
    )


@dataclass(frozen=True)
class ToolDecision:
    """How a person answered a tool call: run it (with `arguments`, edited or not), answer the model with
    `message` instead, or skip it. `by` says who, for the audit (the checkpoint keeps when and how)."""

    action: Action
    arguments: dict[str, Any]
    message: str | None
    by: str | None

    @property
    def runs(self) -> bool:
        return self.action in ("accept", "edit")


def review_tool_call(
    context: DurableContext, kind: str, call: ToolUsePart, *, prompt: str | None = None
) -> ToolDecision:
    """Ask a person about `call` with the declared kind `kind` (a `tool_approval`), and wait for them."""
    scope = current_run()
    declared = scope.workflow.checkpoints.get(kind)
    if declared is None or declared.response_model is None:
        raise ValueError(f"workflow {scope.workflow.name!r} declares no tool_approval kind {kind!r}")
    schema = _arguments_schema(declared)
    payload = ToolCallPayload(
        tool=call.name, call_id=call.id, arguments=dict(call.arguments), arguments_schema=schema
    )
    answer = ask_human(context, kind, prompt=prompt or f"Run {call.name}?", payload=payload)
    data = answer.data or {}
    action = data.get("action", "ignore")
    arguments = data.get("arguments") if action == "edit" else dict(call.arguments)
    return ToolDecision(action, dict(arguments or {}), data.get("message"), answer.by)


def _arguments_schema(kind: CheckpointKind) -> dict[str, Any]:
    assert kind.response_model is not None
    schema = kind.response_model.model_json_schema()
    arguments = schema["properties"]["arguments"]
    options = [o for o in arguments.get("anyOf", [arguments]) if o.get("type") != "null"]
    found = options[0] if options else {}
    if "$ref" in found:
        name = found["$ref"].rsplit("/", 1)[-1]
        return dict(schema.get("$defs", {}).get(name, {}))
    return dict(found)

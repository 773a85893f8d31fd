"""Workflows written as durable code with the AWS Durable Execution SDK, hosted by the runtime.

    def handler(event: dict, context: DurableContext) -> dict:   # or decorated with @durable_execution
        plan = context.step(lambda _: make_plan(event), name="plan")
        answer = ask_human(context, "review", prompt="Publish?", payload={"plan": plan})
        ...

    WORKFLOWS = [durable_workflow("triage", "1.0.0", handler, input_model=In, output_model=Out,
                                  checkpoints={"review": CheckpointKind(type="approval", ...)})]

The handler is the SDK's, unchanged: the engine is the SDK's service side (engine/durable/), so every
`context.step`, `wait`, `create_callback`/`wait_for_callback`, `invoke`, `map`, `parallel` and child
context is stored with the run and replays from the store. A callback is a human checkpoint; an invoke
is a child run of another registered workflow. What the SDK has no word for (the run's config, custom
events, a checkpoint's prompt and payload) comes from this module, bound to the run being executed.
"""

from __future__ import annotations

import contextvars
import functools
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from agent_runtime.workflows.budgets import BUDGET, BUDGET_KIND
from agent_runtime.workflows.checkpoints import CheckpointKind, Resolution
from agent_runtime.workflows.sdk import EmptyConfig, Workflow, check_event

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python.context import DurableContext

    from agent_runtime.models.types import Usage
    from agent_runtime.workflows.budgets import RaiseBudget, Spend

# The error type a rejected approval fails its callback with (the handler sees the SDK's CallbackError).
REJECTED = "CheckpointRejected"

DurableHandler = Callable[[Any, Any], Any]


def durable_workflow(
    name: str,
    version: str,
    handler: DurableHandler,
    *,
    input_model: type[BaseModel],
    output_model: type[BaseModel],
    config_model: type[BaseModel] = EmptyConfig,
    description: str = "",
    checkpoints: Mapping[str, CheckpointKind] | None = None,
    model: str | None = None,
) -> Workflow:
    """A durable handler (a `@durable_execution` function, or the plain function: then the SDK is
    imported only when a run of it is executed) as a named, versioned workflow. Callbacks named after one of
    `checkpoints` get that kind's payload and response schemas; any other callback is an `input`
    checkpoint taking any JSON. `model`: the model its `call_model`s use (`bedrock:<id>`, `openai:<model>`,
    `scripted[:file]`; default AGENT_RUNTIME_MODEL, else the scripted model). Every durable workflow may
    pause on a `budget` checkpoint (workflows/agents.py)."""
    if not callable(handler):
        raise TypeError(f"workflow {name!r}: the handler must be a @durable_execution function")
    workflow = Workflow(
        name,
        version,
        input_model=input_model,
        output_model=output_model,
        config_model=config_model,
        description=description,
        checkpoints={BUDGET: BUDGET_KIND, **(checkpoints or {})},
    )
    workflow.handler = hosted(handler)
    workflow.model = model
    return workflow


@dataclass(frozen=True)
class Description:
    """What a person is shown for a callback: given by `ask_human` before the callback starts."""

    prompt: str
    payload: dict[str, Any]
    assignee: str | None = None
    default: dict[str, Any] | None = None


class RunServices(Protocol):
    """What the host gives code of the run it executes (engine/durable/stack.py, the test kit)."""

    def emit(self, event_type: str, data: dict[str, Any]) -> None: ...

    def put_artifact(self, name: str, body: bytes, content_type: str) -> str: ...

    def record_model_usage(self, model_id: str, usage: Usage) -> None: ...

    def spend(self) -> Spend: ...

    def raise_budget(self, raised: RaiseBudget) -> None: ...


@dataclass
class RunScope:
    """The run being executed, as its durable code sees it (bound for one invocation)."""

    run_id: str
    tenant_id: str
    workflow: Workflow
    config: Any
    metadata: dict[str, Any]
    services: RunServices
    # Whether its model calls check a budget (its own, or its tenant's when it was created): fixed for
    # the run's life, so every replay makes the same checks.
    budgeted: bool = False
    _descriptions: dict[str, list[Description]] = field(default_factory=lambda: defaultdict(list))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def describe(self, name: str, description: Description) -> None:
        with self._lock:
            self._descriptions[name].append(description)

    def take_description(self, name: str) -> Description | None:
        """The description for the callback named `name` that is starting now (the host asks)."""
        with self._lock:
            waiting = self._descriptions.get(name)
            return waiting.pop(0) if waiting else None

    def forget(self, name: str, description: Description) -> None:
        """A described callback that replayed (it started in an earlier invocation) takes none."""
        with self._lock:
            waiting = self._descriptions.get(name, [])
            if description in waiting:
                waiting.remove(description)


_scope: contextvars.ContextVar[RunScope | None] = contextvars.ContextVar("durable_run", default=None)
# The scope of each run being invoked, by its execution ARN. The SDK runs the handler on a fresh thread
# with an empty context, so the handler's first act (hosted() below) is to bind its run's scope there;
# the SDK copies that context into the threads of map and parallel branches.
_by_arn: dict[str, RunScope] = {}


@contextmanager
def bound(scope: RunScope, execution_arn: str) -> Iterator[RunScope]:
    """Make `scope` the run of the handler invoked for `execution_arn`, for the invocation."""
    _by_arn[execution_arn] = scope
    try:
        yield scope
    finally:
        _by_arn.pop(execution_arn, None)


def hosted(handler: DurableHandler) -> DurableHandler:
    """The user's handler (a `@durable_execution` function, or the plain function it would decorate),
    decorated again around its own function so that code of the run finds its run (emit, run_config,
    ask_human). The user's function is left unchanged. The SDK's decoration happens at the first call:
    registering a workflow imports no SDK, so a handler that never runs durable code never loads it
    (bench/reports/cold_start.md)."""
    user_function = getattr(handler, "__wrapped__", handler)
    decorated: list[DurableHandler] = []  # the SDK's handler, once made (a list: set from the closure)

    @functools.wraps(user_function)
    def with_run(event: Any, context: DurableContext) -> Any:
        token = _scope.set(_by_arn.get(context.state.durable_execution_arn))
        try:
            return user_function(event, context)
        finally:
            _scope.reset(token)

    def invoke(event: Any, lambda_context: Any) -> Any:
        if not decorated:
            from aws_durable_execution_sdk_python import durable_execution

            decorated.append(durable_execution(with_run))
        return decorated[0](event, lambda_context)

    return functools.wraps(user_function)(invoke)


def current_run() -> RunScope:
    scope = _scope.get()
    if scope is None:
        raise RuntimeError("no run is being executed here: call this from a hosted workflow's code")
    return scope


def run_config() -> Any:
    """The run's config, validated against the workflow's config model."""
    return current_run().config


def emit(
    event_type: str, data: Mapping[str, Any] | None = None, *, context: DurableContext | None = None
) -> None:
    """Record a custom event on the run's stream, live. Inside a step it is emitted when the step runs
    (a replayed step does not run). Outside steps the handler's code runs again on every replay: pass
    its `context` and the event is emitted only when that code runs for the first time."""
    if context is not None and context.is_replaying():
        return
    event = dict(data or {})
    check_event(event_type, event)
    current_run().services.emit(event_type, event)


def save_artifact(
    name: str, data: bytes | str | Mapping[str, Any] | list[Any], content_type: str | None = None
) -> str:
    """Store a file the run produced (bytes, text or JSON); returns its artifact id. The id follows
    from the run, the name and the content, so saving the same file again (a retried step, a replayed
    handler) stores nothing new."""
    if isinstance(data, bytes):
        body, default_type = data, "application/octet-stream"
    elif isinstance(data, str):
        body, default_type = data.encode(), "text/plain; charset=utf-8"
    else:
        body, default_type = json.dumps(data, ensure_ascii=False).encode(), "application/json"
    return current_run().services.put_artifact(name, body, content_type or default_type)


def ask_human(
    context: DurableContext,
    name: str,
    *,
    prompt: str,
    payload: BaseModel | Mapping[str, Any] | None = None,
    assignee: str | None = None,
    timeout_seconds: int | None = None,
    heartbeat_seconds: int | None = None,
    default: BaseModel | Mapping[str, Any] | None = None,
) -> Resolution:
    """Ask a person and wait (no compute) for the answer: a durable callback shown as the checkpoint
    `name` with this prompt, payload and assignee. An approval returns approved or rejected; an input
    returns its data. A deadline that passes raises the SDK's CallbackTimeoutError, unless the kind
    says `on_timeout="continue"`, which returns an expired resolution carrying `default`."""
    from aws_durable_execution_sdk_python.config import CallbackConfig, Duration
    from aws_durable_execution_sdk_python.exceptions import CallbackError, CallbackTimeoutError

    scope = current_run()
    kind = scope.workflow.checkpoints.get(name)
    body = _as_dict(payload)
    if kind is not None:
        body = kind.payload_model.model_validate(body).model_dump(mode="json")
    description = Description(prompt, body, assignee, _as_dict(default) if default is not None else None)
    scope.describe(name, description)
    try:
        callback = context.create_callback(
            name=name,
            config=CallbackConfig(
                timeout=Duration(timeout_seconds or 0), heartbeat_timeout=Duration(heartbeat_seconds or 0)
            ),
        )
    finally:
        scope.forget(name, description)
    try:
        raw = callback.result()
    except CallbackTimeoutError:
        if kind is not None and kind.on_timeout == "continue":
            return Resolution(callback.callback_id, "expired", data=description.default)
        raise
    except CallbackError as failed:
        resolution = _rejection(failed.data)
        if resolution is None:
            raise
        return Resolution(
            callback.callback_id,
            "rejected",
            reason=resolution.get("reason"),
            by=resolution.get("by"),
            at=resolution.get("at"),
        )
    return resolution_of_answer(callback.callback_id, raw)


def _rejection(data: str | None) -> dict[str, Any] | None:
    """The resolution a rejected checkpoint failed its callback with (engine/durable/answers.py)."""
    try:
        body = json.loads(data) if data else None
    except ValueError:
        return None
    return body if isinstance(body, dict) and body.get("decision") == "rejected" else None


def resolution_of_answer(checkpoint_id: str, raw: str | None) -> Resolution:
    """The Resolution a callback's result (the answer as JSON, engine/durable/answers.py) stands for."""
    answer = json.loads(raw) if raw else {}
    decision = answer.get("decision", "submitted")
    return Resolution(
        checkpoint_id,
        decision,
        comment=answer.get("comment"),
        reason=answer.get("reason"),
        data=answer.get("data"),
        by=answer.get("by"),
        at=answer.get("at"),
    )


def _as_dict(value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return dict(value or {})

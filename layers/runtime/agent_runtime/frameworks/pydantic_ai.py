"""PydanticAI agents as durable workflows (the `pydantic-ai` extra: pydantic-ai-slim).

    from pydantic_ai import Agent
    from agent_runtime.frameworks.pydantic_ai import RuntimeDurability, pydantic_ai_workflow

    agent = Agent("bedrock:...", name="helper", capabilities=[RuntimeDurability()])

    @agent.tool_plain(requires_approval=True)
    def refund(order: str) -> str: ...

    WORKFLOWS = [pydantic_ai_workflow("helper", "1.0.0", agent)]

`RuntimeDurability` is a PydanticAI durability capability, like its own Temporal, DBOS and Prefect
ones, built on PydanticAI's public engine surface (`BaseDurabilityCapability` with a callable
operation backend): inside a hosted run each model request and each tool call is one SDK
`context.step`, named by PydanticAI's journal convention (`<agent>__model.request_stream`,
`<agent>__function_toolset__<toolset>.call_tool:<tool>`), so a replay returns the stored response and
never calls the model or the tool again. Outside a run the capability does nothing.

Streamed text becomes `message.delta` events ({message_id, text}) while the step runs, and each
model response a `message.completed` event; a replayed step emits neither. A tool that needs approval
ends the agent's run with PydanticAI's `DeferredToolRequests`: the workflow asks a person (a
`tool_approval` checkpoint whose payload is the tool's name and arguments), then runs the agent again
on the same message history with the answers as `DeferredToolResults`.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic_ai import Agent, DeferredToolRequests, DeferredToolResults, ToolApproved, ToolDenied
from pydantic_ai.durable_exec import (
    JSON_CODEC,
    BaseDurabilityCapability,
    DurabilityEngineSpec,
    DurableOperationId,
    JournalCallableOperationBackend,
    ModelRequestId,
    RoleBasedOperationConfig,
)
from pydantic_ai.durable_exec._operation_backend import in_durable_unit
from pydantic_ai.messages import AgentStreamEvent, PartDeltaEvent, PartStartEvent, TextPart, TextPartDelta
from pydantic_ai.tools import RunContext
from pydantic_core import to_jsonable_python

from agent_runtime.workflows.checkpoints import CheckpointKind
from agent_runtime.workflows.durable import ask_human, current_run, durable_workflow, emit
from agent_runtime.workflows.sdk import Workflow

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    from aws_durable_execution_sdk_python import DurableContext
    from aws_durable_execution_sdk_python.config import StepConfig
    from aws_durable_execution_sdk_python.types import StepContext

__all__ = ["TOOL_APPROVAL", "AgentPrompt", "AgentResult", "RuntimeDurability", "pydantic_ai_workflow"]

# The checkpoint a tool call waiting for approval raises.
TOOL_APPROVAL = "tool_approval"


class ToolApprovalPayload(BaseModel):
    model_config = ConfigDict(title="ToolApprovalPayload")
    tool_name: str = Field(description="The tool the model wants to call.")
    args: dict[str, Any] = Field(description="The arguments the model gave it.")
    tool_call_id: str = Field(description="The model's id for this call.")


class AgentPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", title="AgentPrompt")
    prompt: str = Field(min_length=1, max_length=100_000, description="What the agent is asked.")


class AgentResult(BaseModel):
    model_config = ConfigDict(title="AgentResult")
    output: Any = Field(description="The agent's output (its output type, as JSON).")
    model_requests: int = Field(description="Model requests the run made (replays not counted twice).")
    input_tokens: int
    output_tokens: int


@dataclass
class _Invocation:
    """What one invocation of a hosted handler knows about its agent runs (rebuilt on every replay, in
    the same order, so the ids it hands out are the same each time)."""

    context: DurableContext
    run_id: str
    agent_runs: int = 0
    model_requests: int = 0


_invocation: contextvars.ContextVar[_Invocation | None] = contextvars.ContextVar(
    "agent_runtime_pydantic_ai_invocation", default=None
)
# The message a model-request step is streaming (set inside the step, read by the event handler).
_message_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "agent_runtime_pydantic_ai_message", default=None
)


async def _stream_to_run(_: RunContext[Any], events: AsyncIterable[AgentStreamEvent]) -> None:
    """Text as it streams from the model, as `message.delta` events (runs inside the model's step)."""
    async for event in events:
        message_id = _message_id.get()
        if message_id is None:
            continue
        text = ""
        if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
            text = event.part.content
        elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
            text = event.delta.content_delta
        if text:
            emit("message.delta", {"message_id": message_id, "text": text})


def _completed(message_id: str, payload: object) -> dict[str, Any]:
    """The `message.completed` event of a model response (the step's JSON result)."""
    response = payload if isinstance(payload, dict) else {}
    parts = response.get("parts") or []
    usage = response.get("usage") or {}
    return {
        "message_id": message_id,
        "text": "".join(p.get("content", "") for p in parts if p.get("part_kind") == "text"),
        "tool_calls": [
            {
                "tool_name": p.get("tool_name"),
                "args": _args(p.get("args")),
                "tool_call_id": p.get("tool_call_id"),
            }
            for p in parts
            if p.get("part_kind") == "tool-call"
        ],
        "model": response.get("model_name"),
        "usage": {
            "input_tokens": int(usage.get("input_tokens") or 0),
            "output_tokens": int(usage.get("output_tokens") or 0),
        },
    }


async def _awaited(body: Callable[[], Awaitable[object]]) -> object:
    return await body()


def _args(args: object) -> object:
    """A tool call's arguments as an object (models give a JSON string or an object)."""
    if isinstance(args, str):
        try:
            return json.loads(args) if args else {}
        except ValueError:
            return args
    return args


class _StepBackend(JournalCallableOperationBackend["StepConfig | None"]):
    """Runs each PydanticAI durable unit as one `context.step` of the hosted run.

    The SDK's step is synchronous and the agent's code is async: the step runs on a worker thread
    (the agent's event loop stays free) and hands the unit's coroutine back to that loop, so the
    model's clients keep the loop they were made on. Tool calls run one at a time in a hosted run
    (the spec below), so steps start in the same order on every replay."""

    async def execute(
        self,
        *,
        operation_id: DurableOperationId,
        name: str,
        body: Callable[[], Awaitable[object]],
        cache_key: tuple[object, ...],
        config: StepConfig | None,
    ) -> object:
        invocation = _invocation.get()
        if invocation is None:
            raise RuntimeError("a PydanticAI durable unit ran outside a hosted run")
        loop = asyncio.get_running_loop()
        message_id: str | None = None
        if isinstance(operation_id, ModelRequestId):
            invocation.model_requests += 1
            message_id = f"{invocation.run_id}:m{invocation.model_requests}"

        def run(_: StepContext) -> object:
            token = _message_id.set(message_id)
            try:
                payload = asyncio.run_coroutine_threadsafe(_awaited(body), loop).result()
            finally:
                _message_id.reset(token)
            if message_id is not None:
                emit("message.completed", _completed(message_id, payload))
            return payload

        return await asyncio.to_thread(invocation.context.step, run, name, config)


class RuntimeDurability(BaseDurabilityCapability[Any]):
    """Makes an agent's model requests and tool calls durable steps of the runtime's run that hosts
    it. Attach it when constructing the agent: `Agent(..., capabilities=[RuntimeDurability()])`.

    `stream=False` makes model requests unstreamed (for models without `request_stream`): no
    `message.delta` events then, only `message.completed`. `step_config` is the SDK's StepConfig for
    every step (retries); None takes the SDK's default."""

    engine_spec: ClassVar[DurabilityEngineSpec] = DurabilityEngineSpec(
        engine_name="agent-runtime",
        durable_unit_noun="step",
        durable_unit_plural="steps",
        durable_container_noun="run",
        codec=JSON_CODEC,  # steps store JSON: the SDK's serdes, the run's operation items
        wrapped_toolset_kinds=frozenset({"function", "mcp", "dynamic"}),
        toolset_lifecycles={
            "function": "enter-always",
            "mcp": "enter-in-durable-unit",
            "dynamic": "enter-never",
        },
        journal_discovery=True,
        # Steps are numbered in the order they start: concurrent tool calls could start in another
        # order on a replay, which the SDK refuses as non-deterministic.
        sequential_tools_in_durable_context=True,
        unsupported_runtime_toolset_kinds=frozenset({"function", "mcp", "dynamic"}),
    )

    def __init__(
        self, *, stream: bool = True, name: str | None = None, step_config: StepConfig | None = None
    ) -> None:
        super().__init__(event_stream_handler=_stream_to_run if stream else None, name=name)
        self._step_config = step_config

    @property
    def in_durable_context(self) -> bool:
        return _invocation.get() is not None and not in_durable_unit()

    def get_durable_operation_backend(self) -> _StepBackend:
        config = self._step_config
        return _StepBackend(
            agent_name=self.name,
            default_model_id=self.default_model_id,
            config=RoleBasedOperationConfig(model=config, event=config, capability=config, tool=config),
        )

    def get_default_run_id(self) -> str | None:
        invocation = _invocation.get()
        if invocation is None:
            return None
        invocation.agent_runs += 1
        return f"{invocation.run_id}:{invocation.agent_runs}"

    async def get_run_start_time(self, run_id: str) -> datetime | None:
        return None

    async def _dispatch_event_stream_event(self, ctx: RunContext[Any], event: AgentStreamEvent) -> None:
        # Only the model's text is streamed to the run; tool calls are already its step events.
        return None


def _run_agent(agent: Agent[Any, Any], invocation: _Invocation, **kwargs: Any) -> Any:
    async def run() -> Any:
        token = _invocation.set(invocation)
        try:
            return await agent.run(**kwargs)
        finally:
            _invocation.reset(token)

    # The SDK's suspension (a step retried after a timer, from inside the agent's run) is a
    # BaseException: it leaves the agent's run and the loop as it is (tests/workflows/frameworks: retries).
    return asyncio.run(run())


def pydantic_ai_workflow(
    name: str,
    version: str,
    agent: Agent[Any, Any],
    *,
    description: str = "",
    deps: Callable[[], Any] | None = None,
    max_approval_rounds: int = 20,
    assignee: str | None = None,
) -> Workflow:
    """Register `agent` as a workflow whose input is a prompt ({"prompt": ...}) and whose output is
    the agent's output with the run's model usage. `deps` builds the agent's dependencies for each
    run. Tools with `requires_approval=True` raise `tool_approval` checkpoints (assigned to
    `assignee`); at most `max_approval_rounds` rounds of them per run."""
    if RuntimeDurability.from_agent(agent) is None:
        raise TypeError(
            f"workflow {name!r}: attach RuntimeDurability to the agent, "
            "Agent(..., capabilities=[RuntimeDurability()])"
        )
    from aws_durable_execution_sdk_python import durable_execution

    @durable_execution
    def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
        invocation = _Invocation(context, current_run().run_id)
        prompt: str | None = event["prompt"]
        history: list[Any] | None = None
        results: DeferredToolResults | None = None
        input_tokens = output_tokens = 0
        for _ in range(max_approval_rounds + 1):
            result = _run_agent(
                agent,
                invocation,
                user_prompt=prompt,
                message_history=history,
                deferred_tool_results=results,
                output_type=[agent.output_type, DeferredToolRequests],
                deps=deps() if deps is not None else None,
            )
            usage = result.usage
            input_tokens += usage.input_tokens
            output_tokens += usage.output_tokens
            if not isinstance(result.output, DeferredToolRequests):
                return {
                    "output": to_jsonable_python(result.output),
                    "model_requests": invocation.model_requests,
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                }
            results = _ask_for_approvals(context, result.output, assignee)
            history, prompt = result.all_messages(), None
        raise RuntimeError(f"the agent asked for approvals more than {max_approval_rounds} times")

    return durable_workflow(
        name,
        version,
        handler,
        input_model=AgentPrompt,
        output_model=AgentResult,
        description=description or f"The PydanticAI agent {agent.name!r}.",
        checkpoints={
            TOOL_APPROVAL: CheckpointKind(
                type="approval",
                payload_model=ToolApprovalPayload,
                description="Allow the call the model asked for, or deny it (the model sees the reason).",
            )
        },
    )


def _ask_for_approvals(
    context: DurableContext, requests: DeferredToolRequests, assignee: str | None
) -> DeferredToolResults:
    if requests.calls:
        names = ", ".join(sorted({call.tool_name for call in requests.calls}))
        raise RuntimeError(f"tools deferred for external execution are not supported here: {names}")
    results = DeferredToolResults()
    for call in requests.approvals:
        answer = ask_human(
            context,
            TOOL_APPROVAL,
            prompt=f"Allow the call of {call.tool_name}?",
            payload=ToolApprovalPayload(
                tool_name=call.tool_name, args=call.args_as_dict(), tool_call_id=call.tool_call_id
            ),
            assignee=assignee,
        )
        results.approvals[call.tool_call_id] = (
            ToolApproved() if answer.approved else ToolDenied(answer.reason or "The tool call was denied.")
        )
        if answer.by:
            results.answered_by[call.tool_call_id] = answer.by
    return results

"""The durable workflow bench/durable.py runs: a loop of steps with an optional person asked in the
middle, each step counting its real executions (the bench runs the stack in its own process)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from pydantic import BaseModel, Field

from agent_runtime.workflows import CheckpointKind
from agent_runtime.workflows.durable import ask_human, durable_workflow

EXECUTED: Counter[tuple[str, int]] = Counter()


class LoopInput(BaseModel):
    steps: int = Field(ge=1, le=100_000)
    ask_at: int | None = None


class LoopOutput(BaseModel):
    total: int


class Progress(BaseModel):
    at: int


def _run_step(run_id: str, i: int) -> int:
    EXECUTED[(run_id, i)] += 1
    return i


@durable_execution
def loop(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    run_id = context.state.durable_execution_arn.split("/")[-2]
    total = 0
    for i in range(event["steps"]):
        if event.get("ask_at") == i:
            ask_human(context, "go_on", prompt=f"Go on after {i} steps?", payload=Progress(at=i))
        total += context.step(lambda _, i=i: _run_step(run_id, i), name=f"tool-{i}")
    return {"total": total}


WORKFLOWS = [
    durable_workflow(
        "bench_loop",
        "1.0.0",
        loop,
        input_model=LoopInput,
        output_model=LoopOutput,
        checkpoints={"go_on": CheckpointKind(type="approval", payload_model=Progress)},
    )
]


class ChatInput(BaseModel):
    calls: int = Field(ge=1, le=10_000)


class ChatOutput(BaseModel):
    calls: int


@durable_execution
def chat(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """`calls` model calls in a row (the scripted model, unpaced): the cost of the call operation itself."""
    from agent_runtime.models.scripted import Script, ScriptedProvider, Turn
    from agent_runtime.models.types import Message, ModelRequest
    from agent_runtime.workflows.agents import call_model

    model = ScriptedProvider(Script(turns=[Turn(text="ok: {last_message}")], repeat_last=True))
    for n in range(event["calls"]):
        call_model(
            context,
            ModelRequest(messages=[Message.of("user", f"call {n}")], max_tokens=16),
            name=f"m-{n}",
            model=model,
        )
    return {"calls": event["calls"]}


WORKFLOWS.append(
    durable_workflow("bench_chat", "1.0.0", chat, input_model=ChatInput, output_model=ChatOutput)
)

"""Workflows the benchmarks run (loaded through AGENT_RUNTIME_WORKFLOW_MODULES=bench.workflows)."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field

from agent_runtime.models import Message, ModelRequest
from agent_runtime.models.events import complete_streaming
from agent_runtime.models.scripted import Script, ScriptedProvider, Turn
from agent_runtime.workflows import StepContext, Workflow


class Burst(BaseModel):
    events: int = Field(ge=0, le=100_000)
    size: int = Field(default=64, ge=0, le=10_000)  # bytes of text per event


class Emitted(BaseModel):
    emitted: int


token_stream = Workflow(
    "token-stream",
    "1.0.0",
    input_model=Burst,
    output_model=Emitted,
    description="Emits `events` custom events in a loop, as an agent streaming tokens does.",
)


@token_stream.step
def stream(ctx: StepContext) -> dict[str, int]:
    text = "x" * ctx.input.size
    for n in range(ctx.input.events):
        ctx.emit("token", {"n": n, "text": text})
    return {"emitted": ctx.input.events}


class Tokens(BaseModel):
    tokens: int = Field(default=150, ge=1, le=100_000)
    tokens_per_second: float = Field(default=30.0, gt=0, le=10_000)


model_stream = Workflow(
    "model-stream",
    "1.0.0",
    input_model=Tokens,
    output_model=Emitted,
    description="The scripted model answers with `tokens` tokens at `tokens_per_second`, streamed as "
    "message.delta events stamped with the wall-clock time of their emit (bench/stream_latency.py).",
)


@model_stream.step
def answer(ctx: StepContext) -> dict[str, int]:
    provider = ScriptedProvider(
        Script(turns=[Turn(text=" tok" * ctx.input.tokens)], tokens_per_second=ctx.input.tokens_per_second)
    )

    def emit(event_type: str, data: dict[str, Any]) -> None:
        ctx.emit(event_type, {**data, "emitted_at": time.time()})

    request = ModelRequest(messages=[Message.of("user", "stream")], max_tokens=ctx.input.tokens)
    complete_streaming(provider, request, emit, message_id=f"msg_{ctx.run_id}_0")
    return {"emitted": ctx.input.tokens}


WORKFLOWS = [token_stream, model_stream]

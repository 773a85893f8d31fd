"""Workflows the benchmarks run (loaded through AGENT_RUNTIME_WORKFLOW_MODULES=bench.workflows)."""

from __future__ import annotations

from pydantic import BaseModel, Field

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


WORKFLOWS = [token_stream]

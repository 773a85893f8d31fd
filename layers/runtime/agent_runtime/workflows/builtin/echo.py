"""`echo` 0.1.0: the run's output equals its input. The smallest end-to-end check of the runtime."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from agent_runtime.workflows.sdk import StepContext, Workflow


class EchoPayload(BaseModel):
    """Any JSON object."""

    model_config = ConfigDict(extra="allow", title="EchoPayload")


echo = Workflow(
    "echo",
    "0.1.0",
    input_model=EchoPayload,
    output_model=EchoPayload,
    description="Returns its input as its output.",
    max_duration_seconds=60,  # one step that copies its input: express (engine/orchestration.py)
)


@echo.step
def respond(ctx: StepContext) -> dict[str, Any]:
    payload: dict[str, Any] = ctx.input.model_dump(mode="json")
    return payload


WORKFLOWS = [echo]

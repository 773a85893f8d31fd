"""`intake` 1.0.0: asks a human for structured data (validated against a schema) and returns it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_runtime.workflows import CheckpointKind, StepContext, Workflow


class IntakeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", title="IntakeRequest")
    purpose: str = Field(
        min_length=1, max_length=500, description="What the data is for (shown to the human)."
    )
    timeout_seconds: int | None = Field(default=None, ge=1, le=365 * 24 * 3600)


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Applicant")
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    amount: float = Field(ge=0)
    notes: str | None = Field(default=None, max_length=2000)


class Prompt(BaseModel):
    model_config = ConfigDict(title="IntakePrompt")
    purpose: str


class IntakeResult(BaseModel):
    model_config = ConfigDict(title="IntakeResult")
    applicant: Applicant | None
    expired: bool


intake = Workflow(
    "intake",
    "1.0.0",
    input_model=IntakeRequest,
    output_model=IntakeResult,
    description="Asks a human for an applicant's details and returns them.",
    checkpoints={
        "details": CheckpointKind(
            "input",
            payload_model=Prompt,
            response_model=Applicant,
            on_timeout="continue",
            description="Provide the applicant's details.",
        ),
    },
)


@intake.step
def collect(ctx: StepContext) -> dict[str, Any]:
    answer = ctx.checkpoint(
        "details",
        prompt="Enter the applicant's details",
        payload={"purpose": ctx.input.purpose},
        timeout_seconds=ctx.input.timeout_seconds,
    )
    return {
        "applicant": answer.data if answer.decision == "submitted" else None,
        "expired": answer.decision == "expired",
    }


WORKFLOWS = [intake]

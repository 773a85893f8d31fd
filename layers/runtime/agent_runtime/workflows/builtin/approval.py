"""`approval` 1.0.0: drafts a document, asks a human to approve it, and publishes it as an artifact.
On reject the run fails with the reviewer's reason."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_runtime.workflows import CheckpointKind, StepContext, Workflow


class DocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", title="DocumentRequest")
    title: str = Field(min_length=1, max_length=200)
    points: list[str] = Field(default_factory=list, max_length=50, description="What the document must say.")
    reviewer: str | None = Field(
        default=None, description="Who should approve it (the checkpoint's assignee)."
    )


class ReviewConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", title="ApprovalConfig")
    review_timeout_seconds: int | None = Field(
        default=None,
        ge=1,
        le=365 * 24 * 3600,
        description="Deadline for the review; none waits up to a year.",
    )


class Draft(BaseModel):
    model_config = ConfigDict(title="Draft")
    title: str
    document: str


class Published(BaseModel):
    model_config = ConfigDict(title="Published")
    artifact_id: str
    approved_by: str | None
    comment: str | None


class Rejected(Exception):
    """The reviewer rejected the draft; the run fails with their reason."""


approval = Workflow(
    "approval",
    "1.0.0",
    input_model=DocumentRequest,
    output_model=Published,
    config_model=ReviewConfig,
    description="Drafts a document, asks a human to approve it, and publishes it as an artifact.",
    checkpoints={
        "review": CheckpointKind(
            "approval", payload_model=Draft, description="Approve the draft to publish it."
        ),
    },
)


@approval.step
def draft(ctx: StepContext) -> dict[str, Any]:
    lines = [f"# {ctx.input.title}", ""] + [f"- {point}" for point in ctx.input.points]
    return {"title": ctx.input.title, "document": "\n".join(lines) + "\n"}


@approval.step
def review(ctx: StepContext) -> dict[str, Any]:
    drafted = ctx.results["draft"]
    decision = ctx.checkpoint(
        "review",
        prompt=f"Approve publishing '{drafted['title']}'?",
        payload=drafted,
        timeout_seconds=ctx.config.review_timeout_seconds,
        assignee=ctx.input.reviewer,
    )
    if not decision.approved:
        raise Rejected(decision.reason or "rejected without a reason")
    return {"by": decision.by, "comment": decision.comment}


@approval.step
def publish(ctx: StepContext) -> dict[str, Any]:
    artifact_id = ctx.put_artifact(
        "document.md", ctx.results["draft"]["document"], "text/markdown; charset=utf-8"
    )
    return {
        "artifact_id": artifact_id,
        "approved_by": ctx.results["review"]["by"],
        "comment": ctx.results["review"]["comment"],
    }


WORKFLOWS = [approval]

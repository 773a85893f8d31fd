"""Human checkpoints as step code sees them: declared kinds, requests and resolutions.

A step asks a human with `ctx.checkpoint(name, ...)`. The first time, the call suspends the run (the
state machine parks on a task token, at no compute cost). When the human answers, or the deadline
passes, the step runs again from its start and the same call returns the Resolution. Code before a
checkpoint in the same step therefore runs again on resume: keep side effects in earlier steps.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CheckpointType = Literal["approval", "input"]
OnTimeout = Literal["fail", "continue"]
Decision = Literal["approved", "rejected", "submitted", "expired"]

# Step Functions Standard executions last at most a year; a checkpoint without a deadline waits that long.
MAX_WAIT_SECONDS = 365 * 24 * 3600


class ApprovalResponse(BaseModel):
    """What a human sends to approve (comment) or reject (reason) an approval checkpoint."""

    model_config = ConfigDict(extra="forbid", title="ApprovalResponse")
    approved: bool
    comment: str | None = Field(default=None, max_length=4000)
    reason: str | None = Field(default=None, max_length=4000)


@dataclass(frozen=True)
class CheckpointKind:
    """A checkpoint a workflow may raise: its type, what the human is shown, what they answer."""

    type: CheckpointType
    payload_model: builtins.type[BaseModel]
    response_model: builtins.type[BaseModel] | None = None  # input checkpoints: the data the human provides
    description: str = ""
    on_timeout: OnTimeout = "fail"

    def response_schema(self) -> dict[str, Any]:
        """What an answer holds: the input's data, or (approval) the decision ACP's resume carries."""
        if self.type == "input":
            if self.response_model is None:
                return {"type": "object", "description": "Any JSON object."}
            return self.response_model.model_json_schema()
        return ApprovalResponse.model_json_schema()

    def schemas(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "description": self.description,
            "payload": self.payload_model.model_json_schema(),
            "response": self.response_schema(),
            "on_timeout": self.on_timeout,
        }


@dataclass(frozen=True)
class CheckpointRequest:
    name: str
    kind: CheckpointKind
    prompt: str
    payload: dict[str, Any]
    timeout_seconds: int | None
    assignee: str | None
    default: dict[str, Any] | None  # what an expired checkpoint resolves to when on_timeout is "continue"


@dataclass(frozen=True)
class Resolution:
    """How a checkpoint ended. `data` is the input for input checkpoints (or the default on expiry)."""

    checkpoint_id: str
    decision: Decision
    comment: str | None = None
    reason: str | None = None
    data: dict[str, Any] | None = None
    by: str | None = None
    at: str | None = None

    @property
    def approved(self) -> bool:
        return self.decision == "approved"


class NonDeterministicExecutionError(Exception):
    """Code that ran again asked something other than what it asked the first time, at the same
    place (a checkpoint, a durable operation): the run fails instead of getting another one's answer."""


class Suspend(BaseException):
    """Raised through step code to park the run on a checkpoint. A BaseException, so that step code
    catching Exception does not swallow it."""

    def __init__(self, checkpoint_id: str, timeout_seconds: int) -> None:
        super().__init__(checkpoint_id)
        self.checkpoint_id = checkpoint_id
        self.timeout_seconds = timeout_seconds

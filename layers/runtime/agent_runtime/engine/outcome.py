"""What each state machine task returns to the state machine's Route state."""

from __future__ import annotations

from typing import Literal, TypedDict

Outcome = Literal["continue", "checkpoint", "done"]


class StepOutcome(TypedDict):
    """Every key is always present (JSONPath needs it)."""

    outcome: Outcome
    checkpoint_id: str | None
    timeout_seconds: int


def outcome(kind: Outcome, checkpoint_id: str | None = None, timeout_seconds: int = 0) -> StepOutcome:
    return {"outcome": kind, "checkpoint_id": checkpoint_id, "timeout_seconds": timeout_seconds}

"""What each state machine task returns to the state machine's Route state."""

from __future__ import annotations

from typing import Literal, TypedDict

# continue: invoke again; checkpoint: park on a step workflow's checkpoint; wait: a Wait state for
# timeout_seconds (durable timers); suspend: park a durable run until woken or timeout_seconds pass.
Outcome = Literal["continue", "checkpoint", "wait", "suspend", "done"]


class StepOutcome(TypedDict):
    """Every key is always present (JSONPath needs it)."""

    outcome: Outcome
    checkpoint_id: str | None
    timeout_seconds: int
    wake: str | None  # suspend: the run's wake mark the invocation saw (lifecycle.wake)


def outcome(
    kind: Outcome, checkpoint_id: str | None = None, timeout_seconds: int = 0, wake: str | None = None
) -> StepOutcome:
    return {"outcome": kind, "checkpoint_id": checkpoint_id, "timeout_seconds": timeout_seconds, "wake": wake}

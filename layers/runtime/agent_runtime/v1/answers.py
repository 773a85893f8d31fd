"""The body of POST .../input to an approval checkpoint (its own module: it needs the workflow SDK's
ApprovalResponse, which only the input handler should pay for at cold start)."""

from __future__ import annotations

from agent_runtime.engine.checkpoints import Answer, Approve, Reject
from agent_runtime.v1.models import Strict
from agent_runtime.workflows.checkpoints import ApprovalResponse


class ApprovalInputRequest(Strict):
    """POST .../input to an approval checkpoint: `data` is the decision its response_schema describes
    (the same one ACP's resume carries), so a form built from that schema can be sent as it is."""

    data: ApprovalResponse

    def answer(self) -> Answer:
        decision = self.data
        return Approve(decision.comment) if decision.approved else Reject(decision.reason)

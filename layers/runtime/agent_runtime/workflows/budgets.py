"""The `budget` checkpoint every durable workflow may pause on (workflows/agents.py call_model): what a
run's model calls spent against its budget and its tenant's, and a person's answer raising it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent_runtime.workflows.checkpoints import CheckpointKind

BUDGET = "budget"


class Spend(BaseModel):
    """What a run's model calls spent so far, and its budget (None: no limit)."""

    model_config = ConfigDict(title="BudgetPayload")
    spent_usd: float
    tokens: int
    max_cost_usd: float | None = None
    max_tokens: int | None = None
    tenant_spent_today_usd: float | None = None
    tenant_daily_budget_usd: float | None = None
    reason: str = ""


class RaiseBudget(BaseModel):
    """A person's answer to a budget checkpoint: the new limits (cancel the run to stop it instead)."""

    model_config = ConfigDict(extra="forbid", title="RaiseBudget")
    max_cost_usd: float | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)


BUDGET_KIND = CheckpointKind(
    type="input",
    payload_model=Spend,
    response_model=RaiseBudget,
    description="The run's model spend reached its budget: raise it to go on, or cancel the run.",
)


def over_budget(spend: Spend, next_tokens: int) -> str:
    """Why a call asking for up to `next_tokens` output tokens would go over budget ("" if it would not)."""
    if spend.max_cost_usd is not None and spend.spent_usd >= spend.max_cost_usd:
        return f"spent ${spend.spent_usd:.4f} of the run's ${spend.max_cost_usd:.4f}"
    if spend.max_tokens is not None and spend.tokens + next_tokens > spend.max_tokens:
        return f"{spend.tokens} tokens used, {next_tokens} more asked, of the run's {spend.max_tokens}"
    daily = spend.tenant_daily_budget_usd
    if daily is not None and (spend.tenant_spent_today_usd or 0.0) >= daily:
        return f"the tenant spent ${spend.tenant_spent_today_usd:.4f} today of its ${daily:.4f}"
    return ""

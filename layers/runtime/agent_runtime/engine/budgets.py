"""Model spend against budgets: a run's own (`max_cost_usd`, `max_tokens`, set at creation and raised by
a person at a budget checkpoint) and its tenant's daily budget (operators set it; over it, new runs are
refused with a 429 and running ones pause before their next model call: workflows/agents.py)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agent_runtime.engine import usage
from agent_runtime.errors import BudgetExceeded

if TYPE_CHECKING:
    from agent_runtime.store.run_items import RunItems, RunRecord

# {"<tenant>": USD a day, "*": the default}: the operator's daily model budgets (none: no limit).
DAILY_BUDGETS_ENV = "TENANT_DAILY_BUDGETS_USD"


def daily_budget(tenant_id: str) -> float | None:
    raw = os.environ.get(DAILY_BUDGETS_ENV, "").strip()
    if not raw:
        return None
    budgets: dict[str, Any] = json.loads(raw)
    value = budgets.get(tenant_id, budgets.get("*"))
    return None if value is None else float(value)


def spent_today(runs: RunItems, tenant_id: str) -> float:
    """The model spend of the tenant's runs created today (UTC)."""
    now = datetime.now(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    summary = usage.summarize(runs, tenant_id, start, now, None, None)
    return sum(usage.model_cost(model, tokens) or 0.0 for model, tokens in summary.models.items())


def refuse_if_spent(runs: RunItems, tenant_id: str) -> None:
    """Before a run is stored: BudgetExceeded when the tenant's daily budget is spent."""
    budget = daily_budget(tenant_id)
    if budget is None:
        return
    spent = spent_today(runs, tenant_id)
    if spent >= budget:
        raise BudgetExceeded(
            f"tenant {tenant_id!r} spent ${spent:.4f} on models today, its daily budget is ${budget:.4f}",
            spent_usd=round(spent, 6),
            daily_budget_usd=budget,
        )


def spend(runs: RunItems, record: RunRecord) -> dict[str, Any]:
    """What the run spent and may spend (workflows/agents.py Spend)."""
    models = record.model_usage()
    spent = sum(usage.model_cost(model, tokens) or 0.0 for model, tokens in models.items())
    tokens = sum(
        int(t.get("input_tokens", 0)) + int(t.get("output_tokens", 0)) + int(t.get("cached_tokens", 0))
        for t in models.values()
    )
    own = json.loads(record.budget) if record.budget else {}
    daily = daily_budget(record.tenant_id)
    return {
        "spent_usd": round(spent, 9),
        "tokens": tokens,
        "max_cost_usd": own.get("max_cost_usd"),
        "max_tokens": own.get("max_tokens"),
        "tenant_daily_budget_usd": daily,
        "tenant_spent_today_usd": spent_today(runs, record.tenant_id) if daily is not None else None,
    }

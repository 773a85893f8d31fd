"""A run's usage: what the workers count for it, and its price.

Each worker invocation for a run counts itself (one Lambda invocation, its duration times memory, and the
state transitions it stands for) in a meter that the run's next commit folds in (store/usage_meter.py).
Transitions, from functions/statemachine/run.asl.json (Standard bills every state entered):

- creation: 1, for the terminal `Done` every execution enters exactly once;
- an Execute invocation: 2 (`Execute`, then `Route`); ExpireCheckpoint: 2 (it, then `Route`);
  RecordFailure: 1;
- a checkpoint raised: 1 (`AwaitHuman`) and the checkpoint worker's invocation, counted by the step
  worker's checkpoint commit (the checkpoint worker makes no commit of its own to fold them into).

Dollars are never stored: `cost` prices the counts with engine/prices.py when the run is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from agent_runtime.engine import prices
from agent_runtime.errors import BadRequest, NotFound, ValidationFailed
from agent_runtime.store import usage_meter
from agent_runtime.store.errors import InvalidCursor, ItemNotFound

if TYPE_CHECKING:
    from agent_runtime.engine import Engine
    from agent_runtime.models.types import Usage
    from agent_runtime.store.run_items import RunItems

TRANSITIONS = {"execute": 2, "expire_checkpoint": 2, "record_failure": 1}
AWAIT_HUMAN_TRANSITIONS = 1
DEFAULT_MEMORY_MB = 512


# The terminal `Done`, counted when the run is stored (its creation counts its own writes).
TRANSITIONS_AT_CREATION = 1
# An Express execution is billed per request and for its duration in 64 MB steps; the run machine's
# executions carry ids only, well within the first 64 MB. (Its 100 ms rounding is left out, at most
# $0.0000001 a run, so that a sum of runs costs the sum of their costs.)
EXPRESS_MEMORY_GB = 64 / 1024


def invocation_meter(run_id: str, context: Any, action: str) -> usage_meter.Meter:
    """The meter of one worker invocation for the run, counting the invocation itself (`context`: the
    Lambda context, for its memory); the worker builds its engine with it (`Engine.default(meter=)`)."""
    memory_mb = int(getattr(context, "memory_limit_in_mb", DEFAULT_MEMORY_MB))
    return usage_meter.Meter(
        run_id, memory_mb, {"lambda_invocations": 1, "transitions": TRANSITIONS.get(action, 0)}
    )


def await_human_follows(meter: usage_meter.Meter | None) -> None:
    """The run is about to park: count the AwaitHuman state and the checkpoint worker's invocation."""
    if meter is not None:
        meter.add({"transitions": AWAIT_HUMAN_TRANSITIONS, "lambda_invocations": 1})


HIDDEN = frozenset({"lambda_mb_ms", "lambda_ms"})  # shown as lambda_gb_seconds; priced only


def view(counts: Mapping[str, int], models: Mapping[str, Mapping[str, int]] | None = None) -> dict[str, Any]:
    """The counts as the API shows them: GB-seconds instead of MB-milliseconds; each model's tokens with
    their price (None for a model the price table doesn't have)."""
    shown: dict[str, Any] = {k: counts.get(k, 0) for k in usage_meter.FIELDS if k not in HIDDEN}
    shown["lambda_gb_seconds"] = round(counts.get("lambda_mb_ms", 0) / 1024 / 1000, 6)
    shown["models"] = {
        model: {
            **{k: tokens.get(k, 0) for k in usage_meter.MODEL_FIELDS},
            "estimated_cost_usd": model_cost(model, tokens),
        }
        for model, tokens in sorted((models or {}).items())
    }
    return shown


def model_cost(model_id: str, tokens: Mapping[str, int]) -> float | None:
    """USD for one model's tokens at its list price, or None if the table has no price for it."""
    price = prices.model_price(model_id)
    if price is None:
        return None
    usd = (
        tokens.get("input_tokens", 0) * price.input
        + tokens.get("output_tokens", 0) * price.output
        + tokens.get("cached_tokens", 0) * price.cache_read
        + tokens.get("cache_write_tokens", 0) * price.cache_write
    ) / 1e6
    return round(usd, 9)


def cost(counts: Mapping[str, int], models: Mapping[str, Mapping[str, int]] | None = None) -> float:
    """USD for the counts and the priced models' tokens at today's prices. Storage is priced for a
    month."""
    return round(_aws_cost(counts) + sum(model_cost(m, t) or 0.0 for m, t in (models or {}).items()), 9)


def _aws_cost(counts: Mapping[str, int]) -> float:
    gb_seconds = counts.get("lambda_mb_ms", 0) / 1024 / 1000
    usd = (
        orchestration_cost(counts)
        + counts.get("lambda_invocations", 0) * prices.LAMBDA_REQUEST
        + gb_seconds * prices.LAMBDA_GB_SECOND
        + counts.get("write_units", 0) * prices.DYNAMODB_WRITE_UNIT
        + counts.get("read_units", 0) * prices.DYNAMODB_READ_UNIT
        + counts.get("bytes_stored", 0) / prices.GB * prices.DYNAMODB_GB_MONTH
    )
    return round(usd, 9)


def orchestration_cost(counts: Mapping[str, int]) -> float:
    """Step Functions: an Express run's requests and duration (at least its workers' time), or a
    Standard run's transitions. (A run the reconciler re-drives after its Express execution was lost
    goes on on Standard: those transitions are not priced.)"""
    if counts.get("express_executions", 0):
        return counts["express_executions"] * prices.SFN_EXPRESS_REQUEST + (
            counts.get("lambda_ms", 0) / 1000 * EXPRESS_MEMORY_GB * prices.SFN_EXPRESS_GB_SECOND
        )
    return counts.get("transitions", 0) * prices.SFN_STANDARD_TRANSITION


def total(many: Iterator[Mapping[str, int]]) -> dict[str, int]:
    summed = dict.fromkeys(usage_meter.FIELDS, 0)
    for counts in many:
        usage_meter.add(summed, counts)
    return summed


# GET /v1/usage: a window of at most MAX_WINDOW_DAYS, summing at most MAX_RUNS runs per request (the
# rest through `next_cursor`): reads grow with the runs summed, and one request stays within its time.
MAX_WINDOW_DAYS = 366
MAX_RUNS = 5000


@dataclass(frozen=True)
class Summary:
    start: str
    end: str
    workflow: str | None
    runs: int
    usage: dict[str, int]
    models: usage_meter.ModelCounts
    next_cursor: str | None

    @property
    def estimated_cost_usd(self) -> float:
        return cost(self.usage, self.models)


def instant(value: str, name: str) -> datetime:
    """A query's date (YYYY-MM-DD, midnight UTC) or RFC 3339 date-time with an offset, in UTC."""
    try:
        parsed: datetime | None = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed is not None and parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC)  # OverflowError at the ends of the calendar
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None or (parsed.tzinfo is None and "T" in value):
        raise ValidationFailed(
            f"{name} is not a date or an RFC 3339 date-time",
            errors=[
                {
                    "field": name,
                    "message": "YYYY-MM-DD or a date-time with an offset, e.g. 2026-12-01T00:00:00Z",
                }
            ],
        )
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def summarize(
    runs: RunItems, tenant_id: str, start: datetime, end: datetime, workflow: str | None, cursor: str | None
) -> Summary:
    """The usage of the tenant's runs created in [start, end), summed."""
    if start > end:
        raise ValidationFailed("from is after to", errors=[{"field": "from", "message": "at most `to`"}])
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise ValidationFailed(
            f"the window is longer than {MAX_WINDOW_DAYS} days",
            errors=[{"field": "to", "message": f"at most {MAX_WINDOW_DAYS} days after `from`"}],
        )
    first, last = (_created_at(t) for t in (start, end))
    try:
        found, models, next_cursor = runs.usage_between(
            tenant_id, workflow, first, last, max_runs=MAX_RUNS, cursor=cursor
        )
    except InvalidCursor as error:
        raise BadRequest(
            "cursor is not valid", errors=[{"field": "cursor", "message": str(error)}]
        ) from error
    return Summary(first, last, workflow, len(found), total(iter(found)), models, next_cursor)


def record_model_usage(engine: Engine, run_id: str, model_id: str, tokens: Usage) -> None:
    """Count one model call's tokens in the run's usage (called right after the call, whatever it
    answered: the tokens were billed). An atomic conditional update of the run item that leaves its
    version alone (store/run_items.py RunItems.add_model_usage); its own read and write ride on the
    run's next commit. NotFound if the run doesn't exist."""
    counts = {"calls": 1, **tokens.model_dump()}
    try:
        engine.store.runs.add_model_usage(run_id, model_id, counts)
    except ItemNotFound as missing:
        raise NotFound(f"run {run_id!r} does not exist") from missing


def _created_at(at: datetime) -> str:
    """As runs' created_at reads (clock.now_iso), so the two compare as strings."""
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")

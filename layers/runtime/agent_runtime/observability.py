"""Structured logs and business metrics, on Powertools for AWS Lambda's Logger and Metrics (the
formatter, the per-context keys and the EMF serializer); Tracer is never imported (its import alone
costs about 200 ms of a cold start, docs/decisions.md).

Logs. On Lambda the function's log format is JSON: the runtime's formatter turns each `logging` record
into one JSON object and adds the record's non-standard attributes (`extra=` keys) as top-level keys.
`bind()` adds fields to every record logged in the current context: they are Powertools Logger's
thread-safe keys (a contextvar, so concurrent asyncio tasks and the local stack's threads each keep
their own), copied onto each record by a `logging.Filter` on the root logger's handlers, for Lambda's
formatter (locally, Powertools' own formatter writes the lines, `configure_local_logging`). A filter on
the root *logger* would not do: logger filters see only records logged on that very logger, not the
ones propagated from `agent_runtime.*`. Fields never replace an `extra=` key of the same name. Nothing
here logs request bodies or headers; bind identifiers, never secrets.

    with invocation(function="create_run"):     # a fresh context per invocation
        bind(tenant=tenant_id, run_id=run_id)   # from here on every record carries them
        log.info("run created", extra={"workflow": name})

Two names are dropped by Lambda's formatter, so `bind` refuses them: `tenant_id` (the runtime sets that
attribute itself, to its tenant-isolation tenant or None, and prints it as `tenantId`) and
`aws_request_id` (printed as `requestId` on every record anyway). Use `tenant` instead. `extra=` keys
named `tenant_id` are dropped in the cloud the same way.

Threads started inside an invocation don't inherit the fields (contextvars are per thread unless the
thread runs in `contextvars.copy_context()`).

Metrics. `metric()` checks a data point, then prints it as one CloudWatch Embedded Metric Format
document with Powertools' `single_metric`, which CloudWatch Logs turns into a metric. Dimensions must
stay low-cardinality (each distinct combination is a billed custom metric): ids are refused as
dimensions; the bound fields (tenant, run id, ...) go into the document as metadata (plain properties)
instead, where Logs Insights can still query them.

Environment: METRICS_NAMESPACE (default AgentRuntime); SERVICE_NAME, if set, is a `service` dimension
of every metric; METRICS_DISABLED=true prints nothing (metrics are still validated and captured).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, TypeVar, get_args

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics.base import SingleMetric

if TYPE_CHECKING:
    from typing import TextIO

Unit = Literal[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
]

__all__ = [
    "BUSINESS_METRICS",
    "CHECKPOINT_WAIT_SECONDS",
    "RECONCILED",
    "RUNS_CREATED",
    "RUNS_ENDED",
    "WEBHOOK_ATTEMPTS",
    "ContextFilter",
    "EmittedMetric",
    "FieldValue",
    "JsonFormatter",
    "MetricSpec",
    "bind",
    "bound",
    "capture",
    "clear",
    "configure_local_logging",
    "install",
    "instrument",
    "invocation",
    "metric",
    "scoped",
    "unbind",
]

# ---------------------------------------------------------------------------------------------------
# Log context

FieldValue = str | int | float | bool

# Powertools Logger's formatter; its thread-safe keys (a contextvar of Powertools') are the bound fields.
_KEYS: Final = LambdaPowertoolsFormatter(utc=True)


def _fields() -> dict[str, Any]:
    return _KEYS.thread_safe_get_current_keys()


def _set_fields(fields: Mapping[str, Any]) -> None:
    _KEYS.thread_safe_clear_keys()
    if fields:
        _KEYS.thread_safe_append_keys(**fields)


# Attributes every LogRecord has, plus what Lambda's JSON formatter sets, reads or prints under its own
# keys: a bound field with one of these names would be overwritten or silently dropped.
_RESERVED_FIELDS: Final = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "aws_request_id",
    "tenant_id",
    "_frame_type",
    "timestamp",
    "level",
    "logger",
    "requestId",
    "tenantId",
    "stackTrace",
    "errorType",
    "errorMessage",
    "location",
}


def bind(**fields: FieldValue | None) -> None:
    """Adds fields to every log record of the current context (until `clear()`, `unbind()` or the end
    of the enclosing `invocation()`/`scoped()`). A None value removes the field."""
    for name in fields:
        if name in _RESERVED_FIELDS:
            raise ValueError(f"log field {name!r} is reserved by logging or Lambda's JSON formatter")
    merged = {**_fields(), **fields}
    _set_fields({k: v for k, v in merged.items() if v is not None})
    install()


def unbind(*names: str) -> None:
    current = _fields()
    if any(name in current for name in names):
        _set_fields({k: v for k, v in current.items() if k not in names})


def clear() -> None:
    _set_fields({})


def bound() -> dict[str, FieldValue]:
    """The fields bound in the current context (a copy)."""
    return dict(_fields())


@contextmanager
def invocation(**fields: FieldValue | None) -> Iterator[None]:
    """One invocation: starts from no fields (nothing leaks from a previous invocation on the same
    warm container), binds `fields`, and restores the previous fields on exit."""
    previous = bound()
    _set_fields({})
    try:
        bind(**fields)
        yield
    finally:
        _set_fields(previous)


@contextmanager
def scoped(**fields: FieldValue | None) -> Iterator[None]:
    """Adds fields for the duration of the block (e.g. one record of a batch), then restores."""
    previous = bound()
    try:
        bind(**fields)
        yield
    finally:
        _set_fields(previous)


_E = TypeVar("_E")
_C = TypeVar("_C")
_R = TypeVar("_R")


def instrument(function: str) -> Callable[[Callable[[_E, _C], _R]], Callable[[_E, _C], _R]]:
    """Decorates a Lambda handler `(event, context)` so each invocation runs in `invocation(function=...)`."""

    def decorate(handler: Callable[[_E, _C], _R]) -> Callable[[_E, _C], _R]:
        @functools.wraps(handler)
        def wrapper(event: _E, context: _C) -> _R:
            with invocation(function=function):
                return handler(event, context)

        return wrapper

    return decorate


class ContextFilter(logging.Filter):
    """Copies the bound fields onto each record (keeping attributes the record already has, such as
    `extra=` keys). Never rejects a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _fields()
        if fields:
            attributes = record.__dict__
            for name, value in fields.items():
                attributes.setdefault(name, value)
        return True


_FILTER: Final = ContextFilter()


def install(handler: logging.Handler | None = None) -> None:
    """Puts the context filter on `handler`, or on every handler of the root logger (on Lambda: the
    runtime's). Idempotent; `bind()` calls it, so handlers the root logger gains later get it at the
    next `bind()`."""
    handlers = [handler] if handler is not None else logging.getLogger().handlers
    for each in handlers:
        if _FILTER not in each.filters:
            each.addFilter(_FILTER)


# ---------------------------------------------------------------------------------------------------
# JSON logs for the local stack (in-process handlers: no Lambda runtime formats their records)


class JsonFormatter(LambdaPowertoolsFormatter):
    """Powertools Logger's JSON lines (level, location, message, timestamp in UTC; exception,
    exception_name and stack_trace for errors; the bound fields and `extra=` keys), plus `logger`, the
    record's logger name, as Lambda's format has it. Values JSON can't encode are written as their
    str()."""

    def __init__(self) -> None:
        super().__init__(utc=True, datefmt="%Y-%m-%dT%H:%M:%S.%FZ")

    def format(self, record: logging.LogRecord) -> str:
        record.logger = record.name  # a non-standard attribute: Powertools writes it as a key
        return super().format(record)


class _LocalHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure_local_logging installs (so calling it again replaces it)."""


def configure_local_logging(
    level: int | str = logging.INFO, *, stream: TextIO | None = None
) -> logging.Handler:
    """JSON logs on `stream` (default stderr: stdout carries EMF metrics) at `level`, with the bound
    fields, for the local stack. Replaces the handler an earlier call installed; leaves others alone."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _LocalHandler):
            root.removeHandler(existing)
            existing.close()
    handler = _LocalHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter())
    install(handler)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler


# ---------------------------------------------------------------------------------------------------
# Metrics (CloudWatch Embedded Metric Format on stdout)

UNITS: Final = frozenset(get_args(Unit))
DEFAULT_NAMESPACE: Final = "AgentRuntime"
SERVICE_DIMENSION: Final = "service"
# CloudWatch allows 30 dimensions per metric; `service` may take one.
MAX_DIMENSIONS: Final = 29
# Dimension names that would make a metric per id: refused (put ids in properties instead).
_HIGH_CARDINALITY_SUFFIXES: Final = ("_id", "_arn", "_token", "_key", "Id", "Arn", "Token", "Key")
_HIGH_CARDINALITY_NAMES: Final = frozenset({"id", "tenant", "run", "request", "execution", "url", "user"})


class MetricSpec(NamedTuple):
    """A business metric: its unit, the dimensions each data point must have, and for some dimensions
    the values they may take."""

    name: str
    unit: Unit
    dimensions: tuple[str, ...]
    values: Mapping[str, frozenset[str]] = MappingProxyType({})


# Runs created, by workflow.
RUNS_CREATED: Final = "RunsCreated"
# Runs that reached a terminal status, by workflow and status (succeeded, failed, cancelled, timed_out).
RUNS_ENDED: Final = "RunsEnded"
# A run's other transitions (engine/lifecycle.py), by workflow and transition.
RUN_TRANSITIONS: Final = "RunTransitions"
# Time a checkpoint waited for its decision, by workflow and how the wait ended.
CHECKPOINT_WAIT_SECONDS: Final = "CheckpointWaitSeconds"
# Webhook delivery attempts, by outcome.
WEBHOOK_ATTEMPTS: Final = "WebhookAttempts"
# What the reconciler did to a run that lost its execution (redriven, failed, cancelled) or to a
# delivery whose queue message was lost (requeued).
RECONCILED: Final = "Reconciled"

BUSINESS_METRICS: Final[Mapping[str, MetricSpec]] = {
    spec.name: spec
    for spec in (
        MetricSpec(RUNS_CREATED, "Count", ("workflow",)),
        MetricSpec(RUNS_ENDED, "Count", ("workflow", "status")),
        MetricSpec(
            RUN_TRANSITIONS,
            "Count",
            ("workflow", "transition"),
            {"transition": frozenset({"start", "park", "resume", "redrive"})},
        ),
        MetricSpec(
            CHECKPOINT_WAIT_SECONDS,
            "Seconds",
            ("workflow", "outcome"),
            {"outcome": frozenset({"resolved", "expired", "cancelled"})},
        ),
        MetricSpec(
            WEBHOOK_ATTEMPTS, "Count", ("outcome",), {"outcome": frozenset({"delivered", "retry", "failed"})}
        ),
        MetricSpec(
            RECONCILED,
            "Count",
            ("action",),
            {"action": frozenset({"redriven", "failed", "cancelled", "resumed", "requeued"})},
        ),
    )
}


class EmittedMetric(NamedTuple):
    """One data point as `metric()` emitted it (what `capture()` collects)."""

    name: str
    value: float
    unit: str
    namespace: str
    dimensions: Mapping[str, str]
    properties: Mapping[str, object]


_captures: list[list[EmittedMetric]] = []
_captures_lock = threading.Lock()


@contextmanager
def capture() -> Iterator[list[EmittedMetric]]:
    """Collects every metric emitted in this process (any thread) while the block runs, whether or not
    METRICS_DISABLED is set: `with capture() as emitted: ...; assert emitted[0].name == RUNS_CREATED`."""
    emitted: list[EmittedMetric] = []
    with _captures_lock:
        _captures.append(emitted)
    try:
        yield emitted
    finally:
        with _captures_lock:
            for index, each in enumerate(_captures):
                if each is emitted:
                    del _captures[index]
                    break


def _disabled() -> bool:
    return os.environ.get("METRICS_DISABLED", "").strip().lower() in {"1", "true", "yes", "on"}


def _check(name: str, value: float, unit: str | None, dimensions: Mapping[str, str]) -> str:
    """The unit to use, after refusing what CloudWatch would drop or what would cost a metric per id."""
    if not name or len(name) > 255:
        raise ValueError(f"metric name {name!r}: 1 to 255 characters")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"metric {name}: value {value!r} is not a finite number")
    if len(dimensions) > MAX_DIMENSIONS:
        raise ValueError(f"metric {name}: at most {MAX_DIMENSIONS} dimensions")
    for dimension, dimension_value in dimensions.items():
        if (
            dimension in _HIGH_CARDINALITY_NAMES
            or dimension.endswith(_HIGH_CARDINALITY_SUFFIXES)
            or dimension in (SERVICE_DIMENSION, "_aws", name)
        ):
            raise ValueError(f"metric {name}: {dimension!r} can't be a dimension (put ids in properties)")
        if not isinstance(dimension_value, str) or not dimension_value or len(dimension_value) > 1024:
            raise ValueError(f"metric {name}: dimension {dimension} = {dimension_value!r} (a non-empty str)")
    spec = BUSINESS_METRICS.get(name)
    if spec is None:
        chosen = unit or "Count"
    else:
        if unit is not None and unit != spec.unit:
            raise ValueError(f"metric {name} is in {spec.unit}, not {unit}")
        if set(dimensions) != set(spec.dimensions):
            raise ValueError(f"metric {name} has dimensions {spec.dimensions}, not {tuple(dimensions)}")
        for dimension, allowed in spec.values.items():
            if dimensions[dimension] not in allowed:
                raise ValueError(f"metric {name}: {dimension} is one of {sorted(allowed)}")
        chosen = spec.unit
    if chosen not in UNITS:
        raise ValueError(f"metric {name}: unknown unit {chosen!r}")
    return chosen


def metric(
    name: str,
    value: float,
    unit: Unit | None = None,
    *,
    properties: Mapping[str, object] | None = None,
    **dimensions: str,
) -> None:
    """Emits one data point. `unit` defaults to the business metric's (BUSINESS_METRICS), else Count;
    a business metric must get exactly its dimensions. The bound log fields and `properties` are added
    to the document as plain (non-dimension) properties. Raises ValueError on a malformed data point."""
    chosen = _check(name, value, unit, dimensions)
    namespace = os.environ.get("METRICS_NAMESPACE") or DEFAULT_NAMESPACE
    service = os.environ.get("SERVICE_NAME")
    all_dimensions = {SERVICE_DIMENSION: service, **dimensions} if service else dict(dimensions)
    extra = {**_fields(), **(properties or {})}
    point = EmittedMetric(name, value, chosen, namespace, all_dimensions, extra)
    with _captures_lock:
        for emitted in _captures:
            emitted.append(point)
    if _disabled():
        return
    # Powertools' single metric validates and serializes the document (EMF); written here in one
    # write, so lines from concurrent threads don't interleave (print() writes the newline apart).
    emf = SingleMetric(namespace=namespace)
    emf.add_metric(name=name, unit=chosen, value=value)
    for dimension, dimension_value in all_dimensions.items():
        emf.add_dimension(dimension, dimension_value)
    for key, property_value in extra.items():
        if key != "_aws" and key != name and key not in all_dimensions:
            emf.add_metadata(key, property_value)
    document = emf.serialize_metric_set()
    sys.stdout.write(json.dumps(document, default=str, separators=(",", ":")) + "\n")
    sys.stdout.flush()

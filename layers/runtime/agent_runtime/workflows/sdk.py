"""The workflow SDK: a workflow is named, versioned code with typed input/output/config and ordered steps.

Step code gets a StepContext: the run's typed input and config, a JSON `state` that persists between
steps, the results of earlier steps, and `emit` for custom events. A step's return value is stored as
its result; the last step's result is the run's output (validated against the output model).
"""

from __future__ import annotations

import json
import re
import typing
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, Protocol

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeVar

from agent_runtime.canonical import sha256_of
from agent_runtime.json_limits import MAX_DEPTH, too_deep
from agent_runtime.workflows.checkpoints import (
    MAX_WAIT_SECONDS,
    CheckpointKind,
    CheckpointRequest,
    Resolution,
)
from agent_runtime.workflows.semver import is_semver


class RetryableStepError(Exception):
    """Raise from a step to have the attempt retried by the state machine (with backoff) instead of
    failing the run. Steps that finished before it are not run again."""


class EmptyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", title="NoConfig")


class StepRuntime(Protocol):
    """What the runtime provides to step code (the step worker implements it)."""

    def emit(self, event_type: str, data: dict[str, Any]) -> None: ...

    def checkpoint(self, step_name: str, sequence: int, request: CheckpointRequest) -> Resolution: ...

    def put_artifact(
        self, step_name: str, name: str, occurrence: int, body: bytes, content_type: str
    ) -> str: ...


InputT = TypeVar("InputT", bound=BaseModel, default=Any)
ConfigT = TypeVar("ConfigT", bound=BaseModel, default=Any)
ResultT = TypeVar("ResultT")


@dataclass
class StepContext(Generic[InputT, ConfigT]):
    """What a step gets: `StepContext[MyInput, MyConfig]` types `ctx.input` and `ctx.config` (both
    validated against the workflow's models)."""

    run_id: str
    tenant_id: str
    workflow: Workflow
    input: InputT
    config: ConfigT
    metadata: dict[str, Any]
    state: dict[str, Any]
    results: dict[str, Any]
    step_name: str = ""
    runtime: StepRuntime | None = field(default=None, repr=False)
    # The run's thread (ACP threads): {"thread_id", "values", "messages", "metadata"}, or None.
    thread: dict[str, Any] | None = None
    _checkpoints_in_step: int = field(default=0, repr=False)
    # How many artifacts of each name this step stored so far: the n-th is its own artifact, and a
    # retried step (which runs again from its start) names the same ones again.
    _artifacts_in_step: Counter[str] = field(default_factory=Counter, repr=False)

    def result_of(self, step: Callable[..., ResultT]) -> ResultT:
        """The result of an earlier step, typed as the step function returns it (a pydantic model
        returned by the step comes back as that model)."""
        for declared in self.workflow.steps:
            if declared.fn is step:
                value = self.results[declared.name]
                returned = typing.get_type_hints(step).get("return")
                if isinstance(returned, type) and issubclass(returned, BaseModel):
                    return typing.cast(ResultT, returned.model_validate(value))
                return typing.cast(ResultT, value)
        raise ValueError(f"{getattr(step, '__name__', step)!r} is not a step of {self.workflow.name!r}")

    def _runtime(self) -> StepRuntime:
        if self.runtime is None:
            raise RuntimeError("this context is not attached to a run")
        return self.runtime

    def begin_step(self, name: str) -> None:
        self.step_name = name
        self._checkpoints_in_step = 0
        self._artifacts_in_step.clear()

    def emit(self, event_type: str, data: Mapping[str, Any] | None = None) -> None:
        """Record a custom event on the run's stream. Names must not start with a reserved prefix."""
        event = {"step": self.step_name, **dict(data or {})}
        check_event(event_type, event)
        self._runtime().emit(event_type, event)

    def checkpoint(
        self,
        name: str,
        *,
        prompt: str,
        payload: BaseModel | Mapping[str, Any] | None = None,
        timeout_seconds: int | None = None,
        assignee: str | None = None,
        default: BaseModel | Mapping[str, Any] | None = None,
    ) -> Resolution:
        """Ask a human. Suspends the run until they answer or the deadline passes, then returns how
        the checkpoint ended. `name` must be one of the workflow's declared checkpoint kinds."""
        kind = self.workflow.checkpoints.get(name)
        if kind is None:
            raise ValueError(f"workflow {self.workflow.name!r} declares no checkpoint {name!r}")
        if timeout_seconds is not None and not 1 <= timeout_seconds <= MAX_WAIT_SECONDS:
            raise ValueError("timeout_seconds must be between 1 second and 1 year")
        body = kind.payload_model.model_validate(
            payload.model_dump(mode="json") if isinstance(payload, BaseModel) else dict(payload or {})
        ).model_dump(mode="json")
        _within_limit(body, f"the payload of checkpoint {name!r}")
        fallback = default.model_dump(mode="json") if isinstance(default, BaseModel) else default
        self._checkpoints_in_step += 1
        request = CheckpointRequest(
            name,
            kind,
            prompt,
            body,
            timeout_seconds,
            assignee,
            dict(fallback) if fallback is not None else None,
        )
        return self._runtime().checkpoint(self.step_name, self._checkpoints_in_step, request)

    def put_artifact(
        self, name: str, data: bytes | str | Mapping[str, Any] | list[Any], content_type: str | None = None
    ) -> str:
        """Store a file the run produced (bytes, text or JSON); returns its artifact id."""
        import json

        if isinstance(data, bytes):
            body, default_type = data, "application/octet-stream"
        elif isinstance(data, str):
            body, default_type = data.encode(), "text/plain; charset=utf-8"
        else:
            body, default_type = json.dumps(data, ensure_ascii=False).encode(), "application/json"
        self._artifacts_in_step[name] += 1
        occurrence = self._artifacts_in_step[name]
        return self._runtime().put_artifact(
            self.step_name, name, occurrence, body, content_type or default_type
        )


RESERVED_EVENT_PREFIXES = frozenset({"run", "step", "checkpoint", "artifact", "wait", "child"})
# Dotted lower-case names (`progress`, `tool.call`, `llm.token_usage`), at most 64 characters.
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$")
EVENT_TYPE_MAX = 64
# Events and checkpoint payloads are shown to clients whole, in responses Lambda caps at 6 MB: larger
# data belongs in an artifact (ctx.put_artifact), which clients download from S3.
MAX_DATA_BYTES = 1024 * 1024


def check_event(event_type: str, data: Mapping[str, Any]) -> None:
    """A custom event's type and data as the stream can carry them (ValueError otherwise)."""
    if len(event_type) > EVENT_TYPE_MAX or not EVENT_TYPE.match(event_type):
        # The type becomes an SSE `event:` line: nothing that could end it or start another.
        raise ValueError(f"event type {event_type!r} must match {EVENT_TYPE.pattern}")
    if event_type.split(".", 1)[0] in RESERVED_EVENT_PREFIXES:
        raise ValueError(f"event type {event_type!r} uses a reserved prefix")
    _within_limit(data, f"the data of event {event_type!r}")


def _within_limit(value: Any, what: str) -> None:
    if too_deep(value):
        raise ValueError(f"{what} nests deeper than {MAX_DEPTH} levels")
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode())
    if size > MAX_DATA_BYTES:
        raise ValueError(
            f"{what} is {size} bytes, over the {MAX_DATA_BYTES}-byte limit: store it with ctx.put_artifact"
        )


StepFunction = Callable[[StepContext], Any]


@dataclass(frozen=True)
class RetryPolicy:
    """How a step is retried when it raises one of `retry_on`: after `initial_delay_seconds`, growing
    by `backoff_rate` up to `max_delay_seconds`, at most `max_attempts` attempts in all. Each failed
    attempt is an event (`step.retrying`: attempt, error, next attempt); the state and results it set
    are dropped (the step runs again from its start); the last failure fails the run."""

    max_attempts: int = 4
    initial_delay_seconds: int = 1
    backoff_rate: float = 2.0
    max_delay_seconds: int = 300
    retry_on: tuple[type[BaseException], ...] = (RetryableStepError,)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.initial_delay_seconds < 1 or self.backoff_rate < 1:
            raise ValueError("max_attempts and initial_delay_seconds must be >= 1, backoff_rate >= 1")

    def delay_after(self, attempt: int) -> int:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        delay = self.initial_delay_seconds * self.backoff_rate ** (attempt - 1)
        return int(min(delay, self.max_delay_seconds))


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class Step:
    name: str
    fn: StepFunction
    retry: RetryPolicy = DEFAULT_RETRY


class Workflow:
    def __init__(
        self,
        name: str,
        version: str,
        *,
        input_model: type[BaseModel],
        output_model: type[BaseModel],
        config_model: type[BaseModel] = EmptyConfig,
        description: str = "",
        checkpoints: Mapping[str, CheckpointKind] | None = None,
        max_duration_seconds: int | None = None,
    ) -> None:
        if not is_semver(version):
            raise ValueError(f"workflow {name!r}: version {version!r} is not semantic (MAJOR.MINOR.PATCH)")
        self.name = name
        self.version = version
        self.description = description
        self.input_model = input_model
        self.output_model = output_model
        self.config_model = config_model
        self.checkpoints: dict[str, CheckpointKind] = dict(checkpoints or {})
        # The author's bound on a whole run, in seconds, if there is one: with no checkpoint, a short
        # bound lets its runs go on the cheaper express state machine (engine/orchestration.py).
        self.max_duration_seconds = max_duration_seconds
        self.steps: list[Step] = []
        # A `@durable_execution` handler (workflows/durable.py durable_workflow) instead of steps.
        self.handler: Callable[[Any, Any], Any] | None = None
        # The model its calls use by default (agent_runtime/models provider_for spec), if it names one.
        self.model: str | None = None

    def step(
        self, fn: StepFunction | None = None, *, name: str | None = None, retry: RetryPolicy | None = None
    ) -> Any:
        """Decorator adding a step; steps run in the order they are declared. `retry`: when and how
        often the step is tried again (default: RetryableStepError, 4 attempts, 1 s doubling)."""

        def register(func: StepFunction) -> StepFunction:
            step_name = name or func.__name__
            if any(s.name == step_name for s in self.steps):
                raise ValueError(f"workflow {self.name!r}: duplicate step {step_name!r}")
            self.steps.append(Step(step_name, func, retry or DEFAULT_RETRY))
            return func

        return register(fn) if fn is not None else register

    def schemas(self) -> dict[str, Any]:
        return {
            "input": self.input_model.model_json_schema(),
            "output": self.output_model.model_json_schema(),
            "config": self.config_model.model_json_schema(),
            "checkpoints": {name: kind.schemas() for name, kind in sorted(self.checkpoints.items())},
        }

    @cached_property
    def schema_hash(self) -> str:
        """Computed once: the models and checkpoint kinds are fixed when the workflow is made, and
        generating their JSON Schemas costs milliseconds that every create of a run would pay again."""
        return sha256_of(self.schemas())

    def __repr__(self) -> str:
        return f"Workflow({self.name}@{self.version})"

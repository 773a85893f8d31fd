"""The workflow SDK: a workflow is named, versioned code with typed input/output/config and ordered steps.

Step code gets a StepContext: the run's typed input and config, a JSON `state` that persists between
steps, the results of earlier steps, and `emit` for custom events. A step's return value is stored as
its result; the last step's result is the run's output (validated against the output model).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent_runtime.canonical import sha256_of
from agent_runtime.workflows.semver import is_semver


class RetryableStepError(Exception):
    """Raise from a step to have the attempt retried by the state machine (with backoff) instead of
    failing the run. Steps that finished before it are not run again."""


class EmptyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", title="NoConfig")


EventSink = Callable[[str, dict[str, Any]], None]


@dataclass
class StepContext:
    run_id: str
    tenant_id: str
    workflow: Workflow
    input: Any
    config: Any
    metadata: dict[str, Any]
    state: dict[str, Any]
    results: dict[str, Any]
    step_name: str = ""
    _sink: EventSink | None = field(default=None, repr=False)

    def emit(self, event_type: str, data: Mapping[str, Any] | None = None) -> None:
        """Record a custom event on the run's stream. Names must not start with a reserved prefix."""
        if event_type.split(".", 1)[0] in RESERVED_EVENT_PREFIXES:
            raise ValueError(f"event type {event_type!r} uses a reserved prefix")
        if self._sink is not None:
            self._sink(event_type, {"step": self.step_name, **dict(data or {})})


RESERVED_EVENT_PREFIXES = frozenset({"run", "step", "checkpoint", "artifact"})

StepFunction = Callable[[StepContext], Any]


@dataclass(frozen=True)
class Step:
    name: str
    fn: StepFunction


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
    ) -> None:
        if not is_semver(version):
            raise ValueError(f"workflow {name!r}: version {version!r} is not semantic (MAJOR.MINOR.PATCH)")
        self.name = name
        self.version = version
        self.description = description
        self.input_model = input_model
        self.output_model = output_model
        self.config_model = config_model
        self.steps: list[Step] = []

    def step(self, fn: StepFunction | None = None, *, name: str | None = None) -> Any:
        """Decorator adding a step; steps run in the order they are declared."""

        def register(func: StepFunction) -> StepFunction:
            step_name = name or func.__name__
            if any(s.name == step_name for s in self.steps):
                raise ValueError(f"workflow {self.name!r}: duplicate step {step_name!r}")
            self.steps.append(Step(step_name, func))
            return func

        return register(fn) if fn is not None else register

    def schemas(self) -> dict[str, Any]:
        return {
            "input": self.input_model.model_json_schema(),
            "output": self.output_model.model_json_schema(),
            "config": self.config_model.model_json_schema(),
            "checkpoints": {},
        }

    @property
    def schema_hash(self) -> str:
        return sha256_of(self.schemas())

    def __repr__(self) -> str:
        return f"Workflow({self.name}@{self.version})"

"""THE list of Lambda functions: name, handler, routes, grants, timeout, memory.

infra/ builds the cloud stack from it and the local stack wires the same functions and routes from
it, so what is tested locally is what is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Grant(StrEnum):
    """What a function may do; infra maps each to least-privilege IAM statements."""

    TABLE_READ = "table:read"
    TABLE_WRITE = "table:write"
    PAYLOADS_READ = "bucket:read"
    PAYLOADS_WRITE = "bucket:write"
    EXECUTION_START = "states:start"
    EXECUTION_STOP = "states:stop"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway style: /v1/runs/{run_id}


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str  # module path + ".handler"
    description: str
    routes: tuple[Route, ...] = ()
    grants: frozenset[Grant] = field(default_factory=frozenset)
    timeout_seconds: int = 29
    memory_mb: int = 512

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]


_READ = frozenset({Grant.TABLE_READ, Grant.PAYLOADS_READ})
_WRITE = frozenset({Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.PAYLOADS_READ, Grant.PAYLOADS_WRITE})

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "create_run",
        "functions.api.create_run.handler",
        "Create a run and start its execution",
        routes=(Route("POST", "/v1/runs"),),
        grants=_WRITE | {Grant.EXECUTION_START},
    ),
    FunctionSpec(
        "list_runs",
        "functions.api.list_runs.handler",
        "List the tenant's runs",
        routes=(Route("GET", "/v1/runs"),),
        grants=_READ,
    ),
    FunctionSpec(
        "get_run",
        "functions.api.get_run.handler",
        "Read one run",
        routes=(Route("GET", "/v1/runs/{run_id}"),),
        grants=_READ,
    ),
    FunctionSpec(
        "cancel_run",
        "functions.api.cancel_run.handler",
        "Cancel a run in any non-terminal state",
        routes=(Route("POST", "/v1/runs/{run_id}/cancel"),),
        grants=_WRITE | {Grant.EXECUTION_STOP},
    ),
    FunctionSpec(
        "run_events",
        "functions.api.run_events.handler",
        "A run's events as SSE windows or JSON pages",
        routes=(Route("GET", "/v1/runs/{run_id}/events"),),
        grants=_READ,
    ),
    FunctionSpec(
        "list_workflows",
        "functions.api.list_workflows.handler",
        "List workflows",
        routes=(Route("GET", "/v1/workflows"),),
    ),
    FunctionSpec(
        "get_workflow",
        "functions.api.get_workflow.handler",
        "A workflow and its versions",
        routes=(Route("GET", "/v1/workflows/{name}"),),
    ),
    FunctionSpec(
        "get_workflow_schemas",
        "functions.api.get_workflow_schemas.handler",
        "A workflow version's schemas",
        routes=(Route("GET", "/v1/workflows/{name}/schemas"),),
    ),
    FunctionSpec(
        "authorizer",
        "functions.workers.authorizer.handler",
        "API Gateway REQUEST authorizer: API key -> tenant",
        grants=frozenset({Grant.TABLE_READ}),
        timeout_seconds=10,
        memory_mb=256,
    ),
    FunctionSpec(
        "step_worker",
        "functions.workers.step_worker.handler",
        "Runs a workflow's steps for the run state machine",
        grants=_WRITE,
        timeout_seconds=900,
        memory_mb=1024,
    ),
)

AUTHORIZER = "authorizer"

# The state machine's substitution variables, each naming the function it invokes.
STATE_MACHINE_FUNCTIONS = {"StepWorkerFunctionArn": "step_worker"}


def by_name(name: str) -> FunctionSpec:
    for spec in FUNCTIONS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def routes() -> list[tuple[Route, FunctionSpec]]:
    return [(route, spec) for spec in FUNCTIONS for route in spec.routes]

"""The SDK's shape, without a server: Client and AsyncClient offer the same operations with the same
parameters, the models have the spec's fields, and the retry policy's arithmetic."""

from __future__ import annotations

import inspect
import time
import typing
from email.utils import formatdate
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import BaseModel

import agent_runtime_client
from agent_runtime_client import AsyncClient, Client, RetryPolicy, models
from agent_runtime_client._core import Call, parse_retry_after, until_matcher
from agent_runtime_client.errors import ConflictError, ServerError, UnprocessableEntityError, error_for

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "agent-runtime.yaml"
RESOURCES = ("runs", "checkpoints", "artifacts", "workflows", "webhooks")


@cache
def components() -> dict[str, Any]:
    schemas: dict[str, Any] = yaml.safe_load(SPEC.read_text())["components"]["schemas"]
    return schemas


def _public(resource: object) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(resource, callable)
        if not name.startswith("_")
    }


def test_the_async_client_has_the_same_surface() -> None:
    sync, asynchronous = Client("http://127.0.0.1:1"), AsyncClient("http://127.0.0.1:1")
    for name in RESOURCES:
        mine, theirs = _public(getattr(sync, name)), _public(getattr(asynchronous, name))
        assert set(mine) == set(theirs), name
        for method, signature in mine.items():
            assert list(signature.parameters) == list(theirs[method].parameters), (name, method)
            for parameter, spec in signature.parameters.items():
                assert spec.default == theirs[method].parameters[parameter].default, (name, method, parameter)
    assert set(_public(sync)) - {"close"} == set(_public(asynchronous)) - {"aclose"}
    sync.close()


def test_every_resource_model_has_the_spec_components_fields() -> None:
    for name, schema in components().items():
        model = getattr(models, name, None)
        if schema.get("type") != "object" or name in {"OpenApiDocument", "CheckpointProblem"}:
            continue  # enums, unions and the raw document; CheckpointProblem is Problem
        if name.endswith("Request") or name == "WorkflowSelector":
            continue  # request bodies: the clients' keyword arguments
        assert model is not None, f"no model for {name}"
        assert isinstance(model, type) and issubclass(model, BaseModel)
        fields = {field.alias or field_name for field_name, field in model.model_fields.items()}
        assert fields == set(schema["properties"]), name  # by the wire's names (`from` is `from_`)
    enums = {"RunStatus": models.RunStatus, "CheckpointStatus": models.CheckpointStatus,
             "CheckpointType": models.CheckpointType}  # fmt: skip
    for name, literal in enums.items():
        assert list(typing.get_args(literal)) == components()[name]["enum"], name
    decisions = [components()[ref["$ref"].split("/")[-1]]["properties"]["decision"]["const"]
                 for ref in components()["CheckpointResolution"]["oneOf"]]  # fmt: skip
    assert decisions == ["approved", "rejected", "submitted", "expired"]
    assert set(models.Problem.model_fields) >= set(components()["Problem"]["properties"])


def test_the_package_exports_what_its_docs_use() -> None:
    for name in agent_runtime_client.__all__:
        assert hasattr(agent_runtime_client, name), name
    assert agent_runtime_client.__version__ == "0.1.0"


def test_retry_after_and_backoff() -> None:
    policy = RetryPolicy(max_retries=2, backoff_base=0.5, backoff_cap=3, max_retry_after=10)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    in_five = parse_retry_after(formatdate(time.time() + 5, usegmt=True))
    assert in_five is not None and 3 <= in_five <= 5
    assert policy.delay(0, "7") == 7 and policy.delay(0, "600") == 10  # capped
    for attempt in range(6):
        assert 0 <= policy.delay(attempt) <= min(3, 0.5 * 2**attempt)
    get: Call[None] = Call("GET", "/v1/runs", lambda r: None)
    unsafe: Call[None] = Call("POST", "/v1/webhook-secret/rotate", lambda r: None, safe=False)
    refused, lost = httpx.ConnectError("refused"), httpx.ReadError("lost")
    assert policy.retries_error(refused, unsafe, 0) and not policy.retries_error(lost, unsafe, 0)
    assert policy.retries_error(lost, get, 1) and not policy.retries_error(lost, get, 2)
    assert policy.retries_status(429, unsafe, 0) and not policy.retries_status(503, unsafe, 0)
    assert policy.retries_status(503, get, 0) and not policy.retries_status(404, get, 0)


def test_errors_map_statuses_to_types() -> None:
    conflict = error_for(
        httpx.Response(409, json={"title": "Conflict", "detail": "x", "status_now": "resolved"})
    )
    assert isinstance(conflict, ConflictError) and conflict.status_now == "resolved"
    body = {
        "title": "Invalid",
        "detail": "d",
        "status": 422,
        "errors": [{"field": "input.count", "message": "m"}],
    }
    invalid = error_for(httpx.Response(422, json=body))
    assert isinstance(invalid, UnprocessableEntityError) and invalid.errors[0].field == "input.count"
    gateway = error_for(httpx.Response(502, text="<html>Bad gateway</html>"))
    assert (
        isinstance(gateway, ServerError) and gateway.status == 502 and "Bad gateway" in gateway.problem.detail
    )


def test_wait_conditions() -> None:
    def run(status: str) -> models.Run:
        at = "2026-01-01T00:00:00Z"
        workflow = {"name": "w", "version": "1"}
        return models.Run.model_validate(
            {"run_id": "r", "status": status, "workflow": workflow, "schema_hash": "h", "created_at": at,
             "updated_at": at}
        )  # fmt: skip

    assert until_matcher(None)(run("failed")) and not until_matcher(None)(run("running"))
    waiting = until_matcher("waiting_for_input")
    assert waiting(run("waiting_for_input")) and waiting(run("cancelled")) and not waiting(run("queued"))
    assert until_matcher(lambda r: r.status == "running")(run("running"))
    with pytest.raises(ValueError):
        until_matcher("finished")

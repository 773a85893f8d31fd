"""The Connect door's pure parts: engine errors as Connect codes, the run a CreateRunRequest asks for,
and the webhook body of a run created over Connect."""

from __future__ import annotations

import json
from typing import Any

import pytest
from connectrpc.code import Code
from protobuf.wkt import Struct, Value

from agent_runtime.connect import requests
from agent_runtime.connect.errors import connect_error
from agent_runtime.connect.gen import agent_runtime_pb as pb
from agent_runtime.connect.webhooks import webhook_body
from agent_runtime.engine.model import Event, Run
from agent_runtime.errors import BadRequest, Conflict, NotFound, TransientAwsError, ValidationFailed
from agent_runtime.http.errors import Unauthorized


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (BadRequest("bad cursor"), Code.INVALID_ARGUMENT),
        (
            ValidationFailed("no", errors=[{"field": "input.title", "message": "too short"}]),
            Code.INVALID_ARGUMENT,
        ),
        (NotFound("no run"), Code.NOT_FOUND),
        (Conflict("run is succeeded"), Code.FAILED_PRECONDITION),
        (Conflict("reused", errors=[{"field": "Idempotency-Key", "message": "x"}]), Code.ALREADY_EXISTS),
        (Unauthorized("no tenant"), Code.UNAUTHENTICATED),
        (TransientAwsError("throttled"), Code.UNAVAILABLE),
    ],
)
def test_engine_errors_become_connect_codes(error: Exception, code: Code) -> None:
    assert connect_error(error).code == code


def test_field_errors_are_named_in_the_message() -> None:
    error = ValidationFailed("input is not valid", errors=[{"field": "input.title", "message": "too short"}])
    assert connect_error(error).message == "input is not valid (input.title: too short)"


def test_an_unexpected_error_is_internal_without_its_details() -> None:
    translated = connect_error(RuntimeError("secret table name"))
    assert translated.code == Code.INTERNAL and "secret" not in translated.message


def test_a_create_request_as_a_run_spec() -> None:
    request = pb.CreateRunRequest(
        workflow=pb.WorkflowSelector(name="echo"),
        input=Value.from_python({"n": 3, "x": 1.5, "items": [2]}),
        metadata=Struct.from_python({"team": "a"}),
    )
    spec = requests.run_spec(request)
    # Struct numbers are doubles: integral ones reach the workflow as the integers the client sent.
    assert spec.input == {"n": 3, "x": 1.5, "items": [2]} and isinstance(spec.input["n"], int)
    assert (spec.workflow_version, spec.callback_url, spec.schema_hash) == (None, None, None)
    assert requests.as_sent(spec) == {
        "workflow": {"name": "echo"},
        "input": {"n": 3, "x": 1.5, "items": [2]},
        "metadata": {"team": "a"},
    }
    assert requests.idempotency_key(request, {}) is None
    assert requests.idempotency_key(request, {"idempotency-key": "k"}) == "k"
    keyed = pb.CreateRunRequest(workflow=pb.WorkflowSelector(name="echo"), idempotency_key="k")
    with pytest.raises(ValidationFailed):
        requests.idempotency_key(keyed, {"idempotency-key": "other"})


def run(status: str, output: Any = None) -> Run:
    return Run(
        run_id="r1",
        tenant_id="t",
        status=status,
        workflow_name="approval",
        workflow_version="1.0.0",
        schema_hash="sha256:x",
        input={"title": "Launch"},
        output=output,
        error=None,
        config={},
        metadata={},
        callback_url="https://example.com/hook",
        created_at="2026-12-06T00:00:00.000Z",
        updated_at="2026-12-06T00:00:09.000Z",
        event_seq=9,
        thread_id=None,
        protocol="connect",
        protocol_options={},
    )


def test_the_webhook_body_is_the_event_and_the_run_as_of_it() -> None:
    event = Event(
        seq=6, run_id="r1", type="checkpoint.created", data={"checkpoint_id": "review-1"}, created_at="t6"
    )
    body = webhook_body(None, run("succeeded", output={"artifact_id": "a"}), event)  # type: ignore[arg-type]
    assert body is not None
    parsed_event = pb.Event.from_json(json.dumps(body["event"]))
    parsed_run = pb.Run.from_json(json.dumps(body["run"]))
    assert (parsed_event.id, parsed_event.type) == (6, "checkpoint.created")
    # As of the event: waiting for a human then, no output yet, updated when the event happened.
    assert parsed_run.status == pb.RunStatus.WAITING_FOR_INPUT
    assert parsed_run.updated_at == "t6" and body["run"]["output"] is None

"""openapi/agent-runtime.yaml is the contract: it must be valid, cover exactly the manifest's routes,
and describe every response the local stack actually sends (status, content type and body)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from agent_runtime.engine import Engine
from functions import manifest
from tests.doors.acp.acp_spec import acp_operations

SPEC_PATH = Path(__file__).resolve().parents[3] / "openapi" / "agent-runtime.yaml"
SPEC_URI = "urn:agent-runtime:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SSE = "text/event-stream"


@cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return document


@cache
def registry() -> Registry[Any]:
    return Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012)
    )


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(*tokens: str) -> str:
    return "#/" + "/".join(_escape(t) for t in tokens)


def _resolve(node: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str]:
    """Follow a local `$ref` (if any): the node it names and that node's JSON pointer."""
    while "$ref" in node:
        pointer = node["$ref"]
        assert pointer.startswith("#/"), pointer
        node = spec()
        for token in pointer[2:].split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, pointer


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path, operation)."""
    found = {}
    for path, item in spec()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                found[operation["operationId"]] = (method.upper(), path, operation)
    return found


def validate(instance: Any, pointer: str) -> None:
    """Validate `instance` against the schema at `pointer` in the spec, refs resolved over the spec."""
    validator = Draft202012Validator(
        {"$ref": SPEC_URI + pointer},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        raise AssertionError(f"body does not match {pointer}: {error.message} at {list(error.absolute_path)}")


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_sse(text: str) -> list[dict[str, str]]:
    """SSE blocks as dicts of their fields (a comment block is {"comment": ...})."""
    blocks = []
    for raw in text.split("\n\n"):
        if not raw:
            continue
        block: dict[str, str] = {}
        for line in raw.split("\n"):
            if line.startswith(":"):
                block["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(":")
                block[name] = value[1:] if value.startswith(" ") else value
        blocks.append(block)
    return blocks


def assert_retry_hint(blocks: list[dict[str, str]]) -> None:
    """A window with events carries one `retry:` reconnect hint, on its first block."""
    hints = [i for i, block in enumerate(blocks) if "retry" in block]
    assert hints == [0], blocks[:2]
    assert blocks[0]["retry"].isdigit()


def conforms(response: httpx.Response, operation_id: str) -> httpx.Response:
    """Assert the response is documented for the operation: status, content type, body and headers."""
    _method, _path, operation = operations()[operation_id]
    documented = operation["responses"]
    status = str(response.status_code)
    assert status in documented, (
        f"{operation_id} answered {status}, documented: {sorted(documented)}: {response.text[:500]}"
    )
    base = _pointer("paths", _path, _method.lower(), "responses", status)
    described, pointer = _resolve(documented[status], base)
    check_described(response, described, pointer)
    return response


def _not_json(constant: str) -> Any:
    raise AssertionError(f"the body holds {constant}, which is not JSON (RFC 8259)")


def strict_json(text: str) -> Any:
    """Parse a response body as RFC 8259 JSON (Python's json also takes NaN and Infinity)."""
    return json.loads(text, parse_constant=_not_json)


def check_described(response: httpx.Response, described: dict[str, Any], pointer: str) -> None:
    content = described.get("content") or {}
    kind = media_type(response)
    assert kind in content, f"{response.status_code} came as {kind!r}; documented: {sorted(content)}"
    body: Any = response.text if kind == SSE else strict_json(response.text)
    validate(body, f"{pointer}/content/{_escape(kind)}/schema")
    for name, header in (described.get("headers") or {}).items():
        header, header_pointer = _resolve(header, f"{pointer}/headers/{_escape(name)}")
        value = response.headers.get(name)
        if value is None:
            assert not header.get("required"), f"required header {name} is missing"
        else:
            validate(value, f"{header_pointer}/schema")


def component_response(response: httpx.Response, name: str) -> None:
    described, pointer = _resolve({"$ref": _pointer("components", "responses", name)}, "")
    check_described(response, described, pointer)


# --- the document itself ---------------------------------------------------------------------------


def test_spec_is_valid_openapi_3_1() -> None:
    assert spec()["openapi"] == "3.1.0"
    validate_openapi(spec())


def test_every_schema_is_valid_json_schema_2020_12() -> None:
    Draft202012Validator.check_schema({"$defs": spec()["components"]["schemas"]})


def test_spec_and_manifest_have_the_same_routes() -> None:
    """The manifest serves exactly the v1 spec's operations and ACP 0.2.3's (operationId = function)."""
    # A2A's routes answer to A2A's contract (tests/doors/a2a/test_a2a_contract.py), ACP's seed-document
    # aliases to the README (tests/doors/acp/test_acp_fixes.py).
    elsewhere = manifest.routes_with_other_contracts()
    in_manifest = {(r.method, r.path, f.name) for r, f in manifest.routes() if r not in elsewhere}
    in_v1 = {(method, path, op_id) for op_id, (method, path, _) in operations().items()}
    in_acp = {(method, path, op_id) for op_id, (method, path, _) in acp_operations().items()}
    assert in_v1 & in_acp == set(), "a route is in both specs"
    in_spec = in_v1 | in_acp
    assert in_spec - in_manifest == set(), "operations in the specs without a manifest route"
    assert in_manifest - in_spec == set(), "manifest routes missing from the specs"


def test_acp_operations_are_the_manifests_acp_functions() -> None:
    assert {(op_id, method, path) for op_id, _, method, path in manifest.ACP_OPERATIONS} == {
        (op_id, method, path) for op_id, (method, path, _) in acp_operations().items()
    }
    for op_id, handler, _, _ in manifest.ACP_OPERATIONS:
        # Written out literally, so grep finds it: the operation's own name in its resource's module.
        assert handler.rsplit(".", 2)[0] == "functions.acp" and handler.endswith(f".{op_id}"), handler
        assert handler.split(".")[2] in {"agents", "runs", "threads"}, handler
        assert manifest.by_name(op_id).handler == handler


def test_every_operation_documents_auth_and_internal_errors() -> None:
    for op_id, (_, _, operation) in operations().items():
        assert {"401", "500"} <= set(operation["responses"]), op_id
        for status, response in operation["responses"].items():
            described, _ = _resolve(response, "")
            if status.startswith(("4", "5")):
                assert set(described["content"]) == {"application/problem+json"}, (op_id, status)


def test_path_parameters_are_declared() -> None:
    for path, item in spec()["paths"].items():
        declared = {_resolve(p, "")[0]["name"] for p in item.get("parameters", [])}
        for method in HTTP_METHODS:
            if method in item:
                names = declared | {_resolve(p, "")[0]["name"] for p in item[method].get("parameters", [])}
                for segment in path.split("/"):
                    if segment.startswith("{"):
                        assert segment[1:-1] in names, (method, path)


def test_request_and_response_shapes_match_the_pydantic_models() -> None:
    """The spec's component schemas list the same properties and required fields as the models."""
    from agent_runtime.v1 import models

    schemas = spec()["components"]["schemas"]
    for name in (
        "Run", "RunError", "WorkflowRef", "Event", "EventPage", "RunPage", "WorkflowList",
        "WorkflowSummary", "WorkflowDetail", "WorkflowVersion", "WorkflowSchemas", "RunUsage",
    ):  # fmt: skip
        model = getattr(models, name)
        assert set(schemas[name]["properties"]) == set(model.model_fields), name
        # Responses are dumped with every field, defaults included: all are required.
        assert set(schemas[name]["required"]) == set(model.model_fields), name
    request = models.CreateRunRequest
    assert set(schemas["CreateRunRequest"]["properties"]) == set(request.model_fields)
    required = {n for n, f in request.model_fields.items() if f.is_required()}
    assert set(schemas["CreateRunRequest"]["required"]) == required
    selector = models.WorkflowSelector
    assert set(schemas["WorkflowSelector"]["properties"]) == set(selector.model_fields)
    assert schemas["WorkflowSelector"]["properties"]["name"]["pattern"] == models.NAME_PATTERN
    assert schemas["RunStatus"]["enum"] == list(models.RunStatus.__args__)  # type: ignore[attr-defined]


def test_checkpoint_and_artifact_shapes_match_the_runtime() -> None:
    """Checkpoints and artifacts are dicts built by the store records: compare with what they build."""
    from pydantic import BaseModel

    from agent_runtime.engine.model import CHECKPOINT_STATUSES, Checkpoint
    from agent_runtime.store.artifact_items import ArtifactRecord
    from agent_runtime.store.checkpoint_items import CheckpointRecord
    from agent_runtime.store.payloads import Payloads
    from agent_runtime.v1 import models as checkpoints
    from agent_runtime.v1.views import artifact_json, checkpoint_json
    from agent_runtime.workflows import checkpoints as kinds

    schemas = spec()["components"]["schemas"]
    requests: dict[str, type[BaseModel]] = {
        "ApproveRequest": checkpoints.ApproveRequest,
        "RejectRequest": checkpoints.RejectRequest,
        "InputRequest": checkpoints.InputRequest,
    }
    for name, request in requests.items():
        assert set(schemas[name]["properties"]) == set(request.model_fields), name
        required = {n for n, f in request.model_fields.items() if f.is_required()}
        assert set(schemas[name].get("required", [])) == required, name
        assert schemas[name]["additionalProperties"] is False, name

    record = CheckpointRecord(
        run_id="r", tenant_id="t", checkpoint_id="s-1", name="n", type="approval", status="pending",
        prompt="p", payload="{}", response_schema="{}", assignee=None, timeout_seconds=None,
        expires_at=None, on_timeout="fail", default=None, workflow_name="w", workflow_version="1.0.0",
        created_at="2026-01-01T00:00:00.000Z", task_token="secret",
    )  # fmt: skip
    public = checkpoint_json(Checkpoint.of(record, Payloads(None, "", 0)))  # type: ignore[arg-type]
    assert set(schemas["Checkpoint"]["properties"]) == set(public)
    assert set(schemas["Checkpoint"]["required"]) == set(public)
    assert schemas["CheckpointStatus"]["enum"] == list(CHECKPOINT_STATUSES)
    assert schemas["CheckpointType"]["enum"] == list(kinds.CheckpointType.__args__)
    branches = [_resolve(branch, "")[0] for branch in schemas["CheckpointResolution"]["oneOf"]]
    decisions = [branch["properties"]["decision"]["const"] for branch in branches]
    assert decisions == list(kinds.Decision.__args__)

    class Payload(BaseModel):
        x: int

    kind = kinds.CheckpointKind("input", payload_model=Payload, response_model=Payload)
    assert set(schemas["CheckpointKind"]["properties"]) == set(kind.schemas())
    assert set(schemas["CheckpointKind"]["required"]) == set(kind.schemas())
    assert schemas["CheckpointKind"]["properties"]["on_timeout"]["enum"] == list(kinds.OnTimeout.__args__)

    artifact = ArtifactRecord(
        artifact_id="a", run_id="r", tenant_id="t", name="n", content_type="text/plain", size=1,
        sha256="0" * 64, object_key="k", step="s", created_at="2026-01-01T00:00:00.000Z",
    )  # fmt: skip
    assert set(schemas["Artifact"]["properties"]) == set(artifact_json(artifact))
    assert set(schemas["Artifact"]["required"]) == set(artifact_json(artifact))
    with_download = schemas["ArtifactWithDownload"]
    assert set(with_download["required"]) == set(artifact_json(artifact)) | {"download_url", "expires_at"}
    assert set(with_download["properties"]) == set(with_download["required"])
    for name, schema in schemas["Artifact"]["properties"].items():
        strip = {k: v for k, v in schema.items() if k != "description"}
        assert {k: v for k, v in with_download["properties"][name].items() if k != "description"} == strip, (
            name
        )


def test_the_bearer_key_applies_to_every_operation_as_the_gateways_take_it() -> None:
    from functions import manifest

    schemes = spec()["components"]["securitySchemes"]
    assert schemes == {"bearerAuth": {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}}
    assert spec()["security"] == [{"bearerAuth": []}]
    assert all("security" not in operation for _, _, operation in operations().values())
    # what the cloud's authorizer is cached on and the local gateway requires for /v1
    v1 = {spec.name for route, spec in manifest.routes() if route.path.startswith("/v1/")}
    assert {manifest.key_header(manifest.by_name(name)) for name in v1} == {manifest.BEARER_HEADER}


def test_idempotency_key_rule_matches_the_runtime() -> None:
    from agent_runtime.engine.runs import IDEMPOTENCY_KEY

    schema = spec()["components"]["parameters"]["IdempotencyKey"]["schema"]
    assert schema["pattern"] == IDEMPOTENCY_KEY.pattern
    for key in ("k", "a" * 255, "has space", "", "a" * 256, "é"):
        documented = Draft202012Validator(schema, format_checker=None).is_valid(key)
        assert documented == bool(IDEMPOTENCY_KEY.match(key)), key


# --- a scripted session over real HTTP --------------------------------------------------------------


def wait_for(http: httpx.Client, run_id: str, statuses: set[str], timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = conforms(http.get(f"/v1/runs/{run_id}"), "get_run").json()
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, f"run {run_id} is {run['status']}, wanted {statuses}"
        time.sleep(0.05)


TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}


@pytest.mark.e2e
def test_workflow_catalog_conforms(http: httpx.Client) -> None:
    workflows = conforms(http.get("/v1/workflows"), "list_workflows").json()
    assert "echo" in [w["name"] for w in workflows["data"]]
    detail = conforms(http.get("/v1/workflows/counter"), "get_workflow").json()
    assert [v["version"] for v in detail["versions"]] == ["1.1.0", "1.0.0"]
    schemas = conforms(
        http.get("/v1/workflows/counter/schemas", params={"version": "1.0.0"}), "get_workflow_schemas"
    ).json()
    assert schemas["version"] == "1.0.0"
    assert schemas["schema_hash"] == detail["versions"][1]["schema_hash"]
    conforms(http.get("/v1/workflows/echo/schemas"), "get_workflow_schemas")
    assert conforms(http.get("/v1/workflows/nope"), "get_workflow").status_code == 404
    assert conforms(http.get("/v1/workflows/nope/schemas"), "get_workflow_schemas").status_code == 404
    missing = http.get("/v1/workflows/echo/schemas", params={"version": "9.9.9"})
    assert conforms(missing, "get_workflow_schemas").status_code == 404


@pytest.mark.e2e
def test_run_lifecycle_conforms(http: httpx.Client) -> None:
    schema_hash = http.get("/v1/workflows/echo/schemas").json()["schema_hash"]
    body = {
        "workflow": {"name": "echo"},
        "input": {"hello": "world"},
        "metadata": {"k": "v"},
        "schema_hash": schema_hash,
    }
    key = {"Idempotency-Key": f"contract-{uuid.uuid4()}"}
    created = conforms(http.post("/v1/runs", json=body, headers=key), "create_run")
    assert created.status_code == 201
    run = created.json()
    assert created.headers["Location"] == f"/v1/runs/{run['run_id']}"
    assert "Idempotent-Replayed" not in created.headers

    replay = conforms(http.post("/v1/runs", json=body, headers=key), "create_run")
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["run_id"] == run["run_id"]
    reused = conforms(http.post("/v1/runs", json={**body, "input": {"other": 1}}, headers=key), "create_run")
    assert reused.status_code == 409

    done = wait_for(http, run["run_id"], TERMINAL)
    assert done["status"] == "succeeded"
    assert done["output"] == {"hello": "world"}

    listed = conforms(http.get("/v1/runs"), "list_runs").json()
    assert [r["run_id"] for r in listed["data"]] == [run["run_id"]]
    filtered = conforms(http.get("/v1/runs", params={"status": "succeeded", "workflow": "echo"}), "list_runs")
    assert [r["run_id"] for r in filtered.json()["data"]] == [run["run_id"]]
    assert conforms(http.get("/v1/runs", params={"status": "running"}), "list_runs").json()["data"] == []

    # JSON pages of events, two at a time, until the cursor runs out.
    events: list[dict[str, Any]] = []
    after: str | None = "0"
    while after is not None:
        page = conforms(
            http.get(f"/v1/runs/{run['run_id']}/events", params={"after": after, "limit": 2}), "run_events"
        ).json()
        events.extend(page["data"])
        after = page["next_cursor"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "run.created"
    assert events[-1]["type"] == "run.succeeded"

    # One SSE window holds them all and ends the stream.
    stream = conforms(http.get(f"/v1/runs/{run['run_id']}/events", headers={"Accept": SSE}), "run_events")
    assert stream.headers["cache-control"] == "no-cache"
    blocks = parse_sse(stream.text)
    assert_retry_hint(blocks)
    sent = blocks[:-1]
    assert [int(b["id"]) for b in sent] == [e["id"] for e in events]
    for block, event in zip(sent, events, strict=True):
        assert block["event"] == event["type"]
        data = json.loads(block["data"])
        validate(data, _pointer("components", "schemas", "Event"))
        assert data == event
    assert blocks[-1]["event"] == "end"
    assert json.loads(blocks[-1]["data"]) == {
        "run_id": run["run_id"],
        "status": "succeeded",
        "last_event_id": events[-1]["id"],
    }
    # Resuming after the last event: nothing but the end.
    resumed = http.get(
        f"/v1/runs/{run['run_id']}/events", headers={"Accept": SSE, "Last-Event-ID": str(events[-2]["id"])}
    )
    blocks = parse_sse(conforms(resumed, "run_events").text)
    assert [b.get("id") for b in blocks[:-1]] == [str(events[-1]["id"])]
    assert blocks[-1]["event"] == "end"

    cancelled = conforms(http.post(f"/v1/runs/{run['run_id']}/cancel"), "cancel_run")
    assert cancelled.status_code == 409
    assert cancelled.json()["status_now"] == "succeeded"


@pytest.mark.e2e
def test_failed_and_cancelled_runs_conform(http: httpx.Client, base_url: str, api_key: str) -> None:
    failing = conforms(http.post("/v1/runs", json={"workflow": {"name": "failing"}}), "create_run").json()
    failed = wait_for(http, failing["run_id"], TERMINAL)
    assert failed["status"] == "failed"
    assert failed["output"] is None
    assert failed["error"]["type"] == "ValueError"

    slow = {"workflow": {"name": "slow"}, "input": {"steps": 40, "seconds": 0.1}}
    run = conforms(http.post("/v1/runs", json=slow), "create_run").json()
    # A window of a run that is still going closes with a comment, not `end`.
    window = conforms(http.get(f"/v1/runs/{run['run_id']}/events", headers={"Accept": SSE}), "run_events")
    blocks = parse_sse(window.text)
    assert_retry_hint(blocks)
    assert "end" not in [b.get("event") for b in blocks]
    assert blocks[-1].get("comment", "").startswith("window closed")
    page = conforms(http.get(f"/v1/runs/{run['run_id']}/events"), "run_events").json()
    assert page["next_cursor"] is not None
    cancelled = conforms(http.post(f"/v1/runs/{run['run_id']}/cancel"), "cancel_run")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"

    # The ACP-style x-api-key header authenticates as the same tenant.
    with httpx.Client(base_url=base_url, headers={"x-api-key": api_key}) as other:
        conforms(other.get(f"/v1/runs/{run['run_id']}"), "get_run")


# --- human checkpoints and artifacts ---------------------------------------------------------------

ARTICLE = {"title": "Contract tests", "points": ["spec first", "then the code"], "reviewer": "ana"}


def start(http: httpx.Client, workflow: str, input: Any, **extra: Any) -> str:
    body = {"workflow": {"name": workflow}, "input": input, **extra}
    created = conforms(http.post("/v1/runs", json=body), "create_run")
    assert created.status_code == 201, created.text
    run_id: str = created.json()["run_id"]
    return run_id


def parked(http: httpx.Client, run_id: str) -> dict[str, Any]:
    """Wait until the run waits on a human; its one pending checkpoint."""
    run = wait_for(http, run_id, {"waiting_for_input"} | TERMINAL)
    assert run["status"] == "waiting_for_input", run
    listed = conforms(http.get(f"/v1/runs/{run_id}/checkpoints"), "list_checkpoints").json()["data"]
    assert [c["status"] for c in listed] == ["pending"]
    checkpoint: dict[str, Any] = listed[0]
    return checkpoint


def answer(http: httpx.Client, checkpoint: dict[str, Any], action: str, **kwargs: Any) -> httpx.Response:
    operation = {
        "approve": "approve_checkpoint",
        "reject": "reject_checkpoint",
        "input": "submit_checkpoint_input",
    }
    url = f"/v1/runs/{checkpoint['run_id']}/checkpoints/{checkpoint['checkpoint_id']}/{action}"
    return conforms(http.post(url, **kwargs), operation[action])


def all_events(http: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    page = conforms(http.get(f"/v1/runs/{run_id}/events", params={"limit": 500}), "run_events").json()
    events: list[dict[str, Any]] = page["data"]
    return events


@pytest.mark.e2e
def test_approval_checkpoint_and_artifact_conform(http: httpx.Client, base_url: str, tenant: str) -> None:
    schemas = conforms(http.get("/v1/workflows/approval/schemas"), "get_workflow_schemas").json()
    assert schemas["checkpoints"]["review"]["type"] == "approval"
    assert schemas["checkpoints"]["review"]["on_timeout"] == "fail"

    other_key = Engine.default().api_keys.create(f"{tenant}-other")  # another tenant's
    run_id = start(http, "approval", ARTICLE)
    checkpoint = parked(http, run_id)
    assert checkpoint["checkpoint_id"] == "review-1"
    assert checkpoint["name"] == "review"
    assert checkpoint["type"] == "approval"
    assert checkpoint["assignee"] == "ana"
    assert checkpoint["resolution"] is None and checkpoint["resolved_at"] is None
    assert checkpoint["workflow"] == {"name": "approval", "version": schemas["version"]}
    assert checkpoint["response_schema"] == schemas["checkpoints"]["review"]["response"]
    document: str = checkpoint["payload"]["document"]
    assert document.startswith("# Contract tests\n")
    url = f"/v1/runs/{run_id}/checkpoints/review-1"
    assert conforms(http.get(url), "get_checkpoint").json() == checkpoint

    # The inbox: pending by default, filtered by assignee, other statuses empty so far.
    inbox = conforms(http.get("/v1/checkpoints"), "checkpoint_inbox").json()
    assert inbox == {"data": [checkpoint], "next_cursor": None}
    mine = conforms(http.get("/v1/checkpoints", params={"assignee": "ana", "limit": 1}), "checkpoint_inbox")
    assert [c["checkpoint_id"] for c in mine.json()["data"]] == ["review-1"]
    others = conforms(http.get("/v1/checkpoints", params={"assignee": "bob"}), "checkpoint_inbox").json()
    assert others["data"] == []
    for status in ("resolved", "expired", "cancelled"):
        page = conforms(http.get("/v1/checkpoints", params={"status": status}), "checkpoint_inbox").json()
        assert page == {"data": [], "next_cursor": None}, status

    # An approval checkpoint's input is the decision its response_schema describes (anything else is a
    # 422 naming the fields); the answer of another tenant finds nothing.
    wrong_kind = answer(http, checkpoint, "input", json={"data": {"x": 1}})
    assert wrong_kind.status_code == 422
    assert {e["field"] for e in wrong_kind.json()["errors"]} == {"data.approved", "data.x"}
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {other_key}"}) as other:
        assert answer(other, checkpoint, "approve", json={}).status_code == 404
        assert conforms(other.get(url), "get_checkpoint").status_code == 404
        assert conforms(other.get(f"/v1/runs/{run_id}/checkpoints"), "list_checkpoints").status_code == 404
        assert conforms(other.get("/v1/checkpoints"), "checkpoint_inbox").json()["data"] == []

    approved = answer(http, checkpoint, "approve", json={"comment": "Ship it."})
    assert approved.status_code == 200
    resolved = approved.json()
    assert resolved["status"] == "resolved"
    assert resolved["resolution"] == {
        "decision": "approved",
        "comment": "Ship it.",
        "by": f"key:{tenant}",
        "at": resolved["resolved_at"],
        "via": "api",
    }
    # Exactly once: a second answer, of either kind, is a 409 carrying the checkpoint as it is.
    for action in ("approve", "reject"):
        again = answer(http, checkpoint, action, json={})
        assert again.status_code == 409, action
        assert again.json()["status_now"] == "resolved"
        assert again.json()["checkpoint"] == resolved

    run = wait_for(http, run_id, TERMINAL)
    assert run["status"] == "succeeded", run
    assert run["output"]["approved_by"] == f"key:{tenant}"
    assert run["output"]["comment"] == "Ship it."
    done = conforms(http.get("/v1/checkpoints", params={"status": "resolved"}), "checkpoint_inbox").json()
    assert done["data"] == [resolved]
    assert conforms(http.get("/v1/checkpoints"), "checkpoint_inbox").json()["data"] == []

    # The published document is an artifact, downloadable without the API key.
    artifacts = conforms(http.get(f"/v1/runs/{run_id}/artifacts"), "list_artifacts").json()["data"]
    assert len(artifacts) == 1
    artifact = artifacts[0]
    content = document.encode()
    assert artifact["artifact_id"] == run["output"]["artifact_id"]
    assert (artifact["name"], artifact["step"], artifact["run_id"]) == ("document.md", "publish", run_id)
    assert artifact["content_type"].startswith("text/markdown")
    assert artifact["size"] == len(content)
    assert artifact["sha256"] == hashlib.sha256(content).hexdigest()
    fetched = conforms(http.get(f"/v1/artifacts/{artifact['artifact_id']}"), "get_artifact").json()
    download_url = fetched.pop("download_url")
    expires_at = fetched.pop("expires_at")
    assert fetched == artifact
    parsed = httpx.URL(download_url)
    assert parsed.scheme in ("http", "https") and parsed.host, download_url
    assert expires_at > artifact["created_at"]
    download = httpx.get(download_url, timeout=10)
    assert download.status_code == 200
    assert download.content == content
    assert media_type(download) == artifact["content_type"].split(";")[0]

    types = [e["type"] for e in all_events(http, run_id)]
    for expected in ("checkpoint.created", "checkpoint.resolved", "artifact.created", "run.succeeded"):
        assert expected in types, types
    created = next(e for e in all_events(http, run_id) if e["type"] == "artifact.created")
    validate(created["data"], _pointer("components", "schemas", "Artifact"))
    assert created["data"] == artifact

    # Another tenant cannot read the artifact, nor list the run's.
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {other_key}"}) as other:
        assert (
            conforms(other.get(f"/v1/artifacts/{artifact['artifact_id']}"), "get_artifact").status_code == 404
        )
        assert conforms(other.get(f"/v1/runs/{run_id}/artifacts"), "list_artifacts").status_code == 404


@pytest.mark.e2e
def test_input_checkpoint_conforms(http: httpx.Client) -> None:
    schemas = conforms(http.get("/v1/workflows/intake/schemas"), "get_workflow_schemas").json()
    details = schemas["checkpoints"]["details"]
    assert (details["type"], details["on_timeout"]) == ("input", "continue")

    run_id = start(http, "intake", {"purpose": "a loan"})
    checkpoint = parked(http, run_id)
    assert (checkpoint["checkpoint_id"], checkpoint["type"]) == ("collect-1", "input")
    assert checkpoint["payload"] == {"purpose": "a loan"}
    assert checkpoint["response_schema"] == details["response"]

    assert answer(http, checkpoint, "approve", json={}).status_code == 409
    assert answer(http, checkpoint, "reject").status_code == 409
    # Malformed requests: never applied.
    assert (
        answer(
            http, checkpoint, "input", content=b"{", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    plain = answer(http, checkpoint, "input", content=b"name=Ana", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    missing = answer(http, checkpoint, "input", json={})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["data"]
    assert answer(http, checkpoint, "input", json={"data": [1]}).status_code == 422
    assert answer(http, checkpoint, "input", json={"data": {}, "extra": 1}).status_code == 422
    invalid = answer(http, checkpoint, "input", json={"data": {"name": "Ana", "email": "nope", "amount": -1}})
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {"data.email", "data.amount"}
    still = conforms(http.get(f"/v1/runs/{run_id}/checkpoints/collect-1"), "get_checkpoint").json()
    assert still == checkpoint

    applicant = {"name": "Ana", "email": "ana@example.com", "amount": 1200.5}
    submitted = answer(http, checkpoint, "input", json={"data": applicant})
    assert submitted.status_code == 200
    resolution = submitted.json()["resolution"]
    assert resolution["decision"] == "submitted"
    assert resolution["data"] == applicant
    run = wait_for(http, run_id, TERMINAL)
    assert run["status"] == "succeeded", run
    assert run["output"] == {"applicant": applicant, "expired": False}
    late = answer(http, checkpoint, "input", json={"data": applicant})
    assert late.status_code == 409
    assert late.json()["checkpoint"]["resolution"] == resolution
    assert conforms(http.get(f"/v1/runs/{run_id}/artifacts"), "list_artifacts").json() == {"data": []}


@pytest.mark.e2e
def test_rejected_cancelled_and_expired_checkpoints_conform(http: httpx.Client, tenant: str) -> None:
    rejected_run = start(http, "approval", ARTICLE)
    cancelled_run = start(http, "approval", {"title": "Never mind"})
    # Deadlines of a second: approval fails the run (timed_out), intake continues without data.
    timed_out_run = start(http, "approval", {"title": "Too late"}, config={"review_timeout_seconds": 1})
    continued_run = start(http, "intake", {"purpose": "nobody answers", "timeout_seconds": 1})

    checkpoint = parked(http, rejected_run)
    rejected = answer(http, checkpoint, "reject", json={"reason": "Too short."})
    assert rejected.status_code == 200
    assert rejected.json()["resolution"] == {
        "decision": "rejected",
        "reason": "Too short.",
        "by": f"key:{tenant}",
        "at": rejected.json()["resolved_at"],
        "via": "api",
    }
    failed = wait_for(http, rejected_run, TERMINAL)
    assert failed["status"] == "failed"
    assert failed["error"] == {"type": "Rejected", "message": "Too short."}
    assert conforms(http.get(f"/v1/runs/{rejected_run}/artifacts"), "list_artifacts").json() == {"data": []}

    checkpoint = parked(http, cancelled_run)
    assert conforms(http.post(f"/v1/runs/{cancelled_run}/cancel"), "cancel_run").status_code == 200
    gone = conforms(http.get(f"/v1/runs/{cancelled_run}/checkpoints/review-1"), "get_checkpoint").json()
    assert gone["status"] == "cancelled"
    assert gone["resolution"] is None and gone["resolved_at"] is not None
    late = answer(http, checkpoint, "approve", json={"comment": "ok"})
    assert late.status_code == 409
    assert late.json()["status_now"] == "cancelled"
    assert "checkpoint.cancelled" in [e["type"] for e in all_events(http, cancelled_run)]

    timed_out = wait_for(http, timed_out_run, TERMINAL)
    assert timed_out["status"] == "timed_out"
    assert timed_out["error"]["type"] == "CheckpointExpired"
    expired = conforms(http.get(f"/v1/runs/{timed_out_run}/checkpoints"), "list_checkpoints").json()["data"]
    assert [c["status"] for c in expired] == ["expired"]
    assert expired[0]["resolution"] == {"decision": "expired", "at": expired[0]["resolved_at"]}
    assert [e["type"] for e in all_events(http, timed_out_run)][-2:] == [
        "checkpoint.expired",
        "run.timed_out",
    ]

    continued = wait_for(http, continued_run, TERMINAL)
    assert continued["status"] == "succeeded"
    assert continued["output"] == {"applicant": None, "expired": True}
    collect = conforms(http.get(f"/v1/runs/{continued_run}/checkpoints/collect-1"), "get_checkpoint").json()
    assert collect["resolution"] == {"decision": "expired", "data": None, "at": collect["resolved_at"]}
    assert answer(http, collect, "input", json={"data": {}}).json()["status_now"] == "expired"

    for status, runs in (("expired", {timed_out_run, continued_run}), ("cancelled", {cancelled_run})):
        page = conforms(http.get("/v1/checkpoints", params={"status": status}), "checkpoint_inbox").json()
        assert {c["run_id"] for c in page["data"]} == runs, status
    # Pages of one checkpoint each, following the cursor.
    seen, cursor = [], None
    while True:
        params = {"status": "expired", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = conforms(http.get("/v1/checkpoints", params=params), "checkpoint_inbox").json()
        seen += [c["run_id"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted({timed_out_run, continued_run})


@pytest.mark.e2e
def test_client_errors_conform(http: httpx.Client, base_url: str) -> None:
    def create(**kwargs: Any) -> httpx.Response:
        return conforms(http.post("/v1/runs", **kwargs), "create_run")

    assert create(content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert (
        create(json={"workflow": {"name": "echo"}}, headers={"Idempotency-Key": "has space"}).status_code
        == 400
    )
    assert create(content=b"workflow=echo", headers={"Content-Type": "text/plain"}).status_code == 415
    too_big = b'{"workflow":{"name":"echo"},"input":{"x":"' + b"a" * (5 * 1024 * 1024) + b'"}}'
    assert create(content=too_big, headers={"Content-Type": "application/json"}).status_code == 413
    assert create(json={"workflow": {"name": "nope"}}).status_code == 404
    assert create(json={"workflow": {"name": "echo", "version": "9.9.9"}}).status_code == 404
    stale = create(json={"workflow": {"name": "echo"}, "schema_hash": "stale"})
    assert stale.status_code == 409
    assert stale.json()["schema_hash"]
    invalid = create(json={"workflow": {"name": "Not A Name"}, "extra": 1})
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} >= {"workflow.name", "extra"}
    bad_input = create(json={"workflow": {"name": "counter"}, "input": {"name": "x", "count": 0}})
    assert bad_input.status_code == 422
    assert [e["field"] for e in bad_input.json()["errors"]] == ["input.count"]
    assert create(json=[1, 2]).status_code == 422

    for params in (
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "x"},
        {"status": "bogus"},
        {"cursor": "garbage"},
    ):
        assert conforms(http.get("/v1/runs", params=params), "list_runs").status_code == 400, params

    missing = str(uuid.uuid4())
    assert conforms(http.get(f"/v1/runs/{missing}"), "get_run").status_code == 404
    assert conforms(http.post(f"/v1/runs/{missing}/cancel"), "cancel_run").status_code == 404
    assert conforms(http.get(f"/v1/runs/{missing}/events"), "run_events").status_code == 404
    events = f"/v1/runs/{missing}/events"
    assert conforms(http.get(events, params={"after": "-1"}), "run_events").status_code == 400
    assert conforms(http.get(events, params={"limit": "501"}), "run_events").status_code == 400
    assert conforms(http.get(events, headers={"Last-Event-ID": "x"}), "run_events").status_code == 400
    assert conforms(http.get(events, headers={"Accept": "application/xml"}), "run_events").status_code == 406

    checkpoint = f"/v1/runs/{missing}/checkpoints/review-1"
    assert conforms(http.get(f"/v1/runs/{missing}/checkpoints"), "list_checkpoints").status_code == 404
    assert conforms(http.get(checkpoint), "get_checkpoint").status_code == 404
    for action, operation in (
        ("approve", "approve_checkpoint"),
        ("reject", "reject_checkpoint"),
        ("input", "submit_checkpoint_input"),
    ):
        url = f"{checkpoint}/{action}"
        body = {"data": {}} if action == "input" else {}
        assert conforms(http.post(url, json=body), operation).status_code == 404, action
        assert (
            conforms(
                http.post(url, content=b"[", headers={"Content-Type": "application/json"}), operation
            ).status_code
            == 400
        )
        assert (
            conforms(
                http.post(url, content=b"x", headers={"Content-Type": "text/plain"}), operation
            ).status_code
            == 415
        )
        assert conforms(http.post(url, json={"bogus": 1}), operation).status_code == 422
        assert conforms(http.post(url, json=[]), operation).status_code == 422
    huge = b'{"data":{"x":"' + b"a" * (5 * 1024 * 1024) + b'"}}'
    too_big = http.post(f"{checkpoint}/input", content=huge, headers={"Content-Type": "application/json"})
    assert conforms(too_big, "submit_checkpoint_input").status_code == 413
    assert conforms(http.get(f"/v1/runs/{missing}/artifacts"), "list_artifacts").status_code == 404
    assert conforms(http.get(f"/v1/artifacts/{missing}"), "get_artifact").status_code == 404
    for params in (
        {"status": "bogus"},
        {"status": "PENDING"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "x"},
        {"cursor": "garbage"},
    ):
        assert conforms(http.get("/v1/checkpoints", params=params), "checkpoint_inbox").status_code == 400, (
            params
        )
    # A cursor of another listing (here: of runs) is refused, not followed.
    foreign = base64.urlsafe_b64encode(json.dumps({"gsi1pk": "TENANT#x", "PK": "p", "SK": "s"}).encode())
    inbox = http.get("/v1/checkpoints", params={"cursor": foreign.decode()})
    assert conforms(inbox, "checkpoint_inbox").status_code == 400

    # What the gateway answers for things no operation serves.
    unknown_path = http.get("/v1/nothing-here")
    assert unknown_path.status_code == 404
    component_response(unknown_path, "NotFound")
    wrong_method = http.delete("/v1/runs")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET, POST"
    component_response(wrong_method, "MethodNotAllowed")
    unknown_key = httpx.get(f"{base_url}/v1/runs", headers={"Authorization": "Bearer ar_not-a-key"})
    assert unknown_key.status_code == 401
    conforms(unknown_key, "list_runs")
    assert unknown_key.headers["WWW-Authenticate"] == "Bearer"


# --- inputs that must be answered with a documented client error, never a 5xx -------------------------

_DEEP = b"[" * 2000 + b"]" * 2000


def _cursor(values: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


_ECHO = b'{"workflow":{"name":"echo"},'
_EDGE_INPUTS = {
    # str.isdigit() accepts Unicode digits that int() refuses.
    "events-after-superscript-digit": ("GET", "/v1/runs/{run}/events", {"params": {"after": "²"}}, {400}),
    "events-last-event-id-superscript-digit": (
        "GET", "/v1/runs/{run}/events", {"headers": {"Last-Event-ID": "²".encode("latin-1")}}, {400},
    ),
    # Deeper than the JSON parser's recursion limit.
    "body-nested-too-deep": (
        "POST", "/v1/runs",
        {"content": _ECHO + b'"input":{"a":' + _DEEP + b"}}"}, {400, 422},
    ),
    # A lone surrogate escape is valid JSON syntax but not a Unicode string.
    "body-lone-surrogate": (
        "POST", "/v1/runs", {"content": _ECHO + b'"input":{"a":"\\ud800"}}'}, {400, 422},
    ),
    # NaN is not JSON (RFC 8259); accepting it stores null in its place.
    "body-nan": ("POST", "/v1/runs", {"content": _ECHO + b'"input":{"a":NaN}}'}, {400, 422}),
    # A number too large for a double parses as inf: the run is created with null in its place.
    "body-number-overflow": ("POST", "/v1/runs", {"content": _ECHO + b'"input":{"a":1e400}}'}, {400, 422}),
    # Metadata well under the 5 MB body limit but over DynamoDB's 400 KB item limit.
    "body-large-metadata": (
        "POST", "/v1/runs",
        {"content": _ECHO + b'"metadata":{"a":"' + b"x" * 450_000 + b'"}}'}, {201, 413, 422},
    ),
    # A cursor naming the tenant's own inbox partition but not a whole index key (hand-made): the
    # query's ExclusiveStartKey is invalid. list_runs answers this 400; the inbox must too.
    "inbox-cursor-partition-key-only": (
        "GET", "/v1/checkpoints",
        {"params": {"cursor": lambda tenant: _cursor({"gsi1pk": f"TENANT#{tenant}#CKPT#pending"})}}, {400},
    ),
    # Limits on checkpoint answers hold like those on runs.
    "approve-nested-too-deep": (
        "POST", "/v1/runs/{run}/checkpoints/review-1/approve",
        {"content": b'{"comment":' + _DEEP + b"}"}, {400, 422},
    ),
    "input-nan": (
        "POST", "/v1/runs/{run}/checkpoints/review-1/input", {"content": b'{"data":{"a":NaN}}'}, {400, 422},
    ),
    # As for runs; answering a real checkpoint so stores inf, which GET then serves as `Infinity`.
    "input-number-overflow": (
        "POST", "/v1/runs/{run}/checkpoints/review-1/input", {"content": b'{"data":{"a":1e400}}'}, {400, 422},
    ),
    "approve-comment-too-long": (
        "POST", "/v1/runs/{run}/checkpoints/review-1/approve",
        {"content": json.dumps({"comment": "x" * 4001}).encode()}, {422},
    ),
    "artifact-id-over-key-size": ("GET", "/v1/artifacts/" + "x" * 2100, {}, {404}),
    "checkpoint-id-over-key-size": ("GET", "/v1/runs/{run}/checkpoints/" + "x" * 1100, {}, {404}),
}  # fmt: skip
_OPERATION = {
    ("GET", "/v1/runs/{run}/events"): "run_events",
    ("POST", "/v1/runs"): "create_run",
    ("GET", "/v1/checkpoints"): "checkpoint_inbox",
    ("POST", "/v1/runs/{run}/checkpoints/review-1/approve"): "approve_checkpoint",
    ("POST", "/v1/runs/{run}/checkpoints/review-1/input"): "submit_checkpoint_input",
    ("GET", "/v1/artifacts/" + "x" * 2100): "get_artifact",
    ("GET", "/v1/runs/{run}/checkpoints/" + "x" * 1100): "get_checkpoint",
}


# Server errors found by this suite and not fixed yet (each with its reproducer in the test above).
# Inputs that once broke the server; each is now a documented client error. Add new finds here as
# strict xfails until they are fixed.
_KNOWN_BUGS: dict[str, str] = {}


@pytest.mark.e2e
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=_KNOWN_BUGS[n], strict=True))
        if n in _KNOWN_BUGS
        else n
        for n in sorted(_EDGE_INPUTS)
    ],
)
def test_edge_inputs_are_documented_client_errors(http: httpx.Client, tenant: str, name: str) -> None:
    method, path, kwargs, expected = _EDGE_INPUTS[name]
    headers = {"Content-Type": "application/json", **kwargs.get("headers", {})}
    if "params" in kwargs:  # a callable parameter value is made for this test's tenant
        kwargs = {
            **kwargs,
            "params": {k: v(tenant) if callable(v) else v for k, v in kwargs["params"].items()},
        }
    url = path.format(run=uuid.uuid4())
    response = http.request(method, url, **{**kwargs, "headers": headers})
    conforms(response, _OPERATION[(method, path)])
    assert response.status_code in expected, f"{name}: {response.status_code} {response.text[:300]}"

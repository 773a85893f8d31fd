"""Client mistakes get a clear 4xx problem+json with field-level detail, never a 5xx."""

from __future__ import annotations

import json

import pytest

from agent_runtime import aws
from agent_runtime.engine import Engine
from agent_runtime.errors import ValidationFailed
from agent_runtime_local.cloud import Resources
from tests.conftest import Api


def problem(reply: object) -> dict[str, object]:
    assert reply.headers["Content-Type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = reply.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= set(body)
    return body


def test_malformed_json_is_400(api: Api) -> None:
    reply = api("POST", "/v1/runs", raw_body='{"workflow": ')
    assert reply.status == 400
    assert "not valid JSON" in str(problem(reply)["detail"])


def test_non_object_body_is_422(api: Api) -> None:
    assert api("POST", "/v1/runs", raw_body="[1, 2]").status == 422


def test_unknown_workflow_and_version_are_404(api: Api) -> None:
    assert api.create("nope", {}).status == 404
    reply = api.create("echo", {}, version="9.9.9")
    assert reply.status == 404
    assert "9.9.9" in str(problem(reply)["detail"])


def test_unknown_run_is_404(api: Api) -> None:
    assert api("GET", "/v1/runs/00000000-0000-4000-8000-000000000000").status == 404


@pytest.mark.parametrize(
    "path",
    ["/v1/runs/{long}", "/v1/runs/{long}/checkpoints/x", "/v1/runs/r/checkpoints/{long}", "/threads/{long}"],
)
def test_ids_too_long_to_exist_are_404_without_touching_the_table(
    api: Api, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DynamoDB refuses keys over 1-2 KB with an error (moto does not): such ids never reach it.
    monkeypatch.setattr(aws, "dynamodb", lambda: pytest.fail("an over-long id reached DynamoDB"))
    assert api("GET", path.format(long="r" * 2000)).status == 404


def test_input_not_matching_the_schema_is_422_naming_the_field(api: Api) -> None:
    reply = api.create("counter", {"name": "x", "count": 0})
    assert reply.status == 422
    errors = problem(reply)["errors"]
    assert isinstance(errors, list)
    assert [e["field"] for e in errors] == ["input.count"]
    missing = api.create("counter", {"count": 3}).json()["errors"]
    assert [e["field"] for e in missing] == ["input.name"]


def test_unknown_request_fields_are_422(api: Api) -> None:
    reply = api("POST", "/v1/runs", body={"workflow": {"name": "echo"}, "inptu": {}})
    assert reply.status == 422
    assert [e["field"] for e in reply.json()["errors"]] == ["inptu"]


@pytest.mark.parametrize("body", [{"workflow": {"name": "Bad Name!"}}, {"workflow": {}}, {"input": {}}])
def test_bad_workflow_selector_is_422(api: Api, body: dict[str, object]) -> None:
    assert api("POST", "/v1/runs", body=body).status == 422


def test_oversized_body_is_413(api: Api) -> None:
    big = json.dumps({"workflow": {"name": "echo"}, "input": {"blob": "x" * (6 * 1024 * 1024)}})
    assert api("POST", "/v1/runs", raw_body=big).status == 413


def test_wrong_content_type_is_415(api: Api) -> None:
    reply = api(
        "POST", "/v1/runs", raw_body="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 415


def test_bad_idempotency_key_is_400(api: Api) -> None:
    assert api.create("echo", {}, headers={"Idempotency-Key": "x" * 300}).status == 400


def test_missing_tenant_is_401() -> None:
    from tests.apigw import call

    reply = call("GET", "/v1/workflows", tenant="")
    assert reply.status == 401


@pytest.mark.parametrize("tenant", ["tenantA#CKPT#pending", "tenantA#THREADS", "a#x", "", "x" * 65, "-lead"])
def test_a_tenant_id_that_could_collide_in_keys_gets_no_api_key(cloud: Resources, tenant: str) -> None:
    with pytest.raises(ValidationFailed):
        Engine.default().api_keys.create(tenant)

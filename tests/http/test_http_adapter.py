"""The Lambda HTTP adapter: parsing, errors as problem+json, content negotiation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent_runtime.errors import Conflict
from agent_runtime.http.adapter import Request, Response, negotiate
from agent_runtime.http.errors import NotAcceptable
from agent_runtime.v1.errors import v1_endpoint as api_handler
from agent_runtime.v1.models import CreateRunRequest


def event(
    body: str | None = None, headers: dict[str, str] | None = None, tenant: str | None = "acme"
) -> dict[str, Any]:
    context: dict[str, Any] = {"requestId": "req-1"}
    if tenant:
        context["authorizer"] = {"tenant_id": tenant, "principal": "key:acme"}
    return {
        "httpMethod": "POST",
        "path": "/v1/runs",
        "headers": headers or {},
        "body": body,
        "requestContext": context,
    }


@api_handler
def echo_body(request: Request) -> Response:
    return Response.json(200, request.json(CreateRunRequest))


def test_valid_body_is_parsed_into_the_model() -> None:
    result = echo_body(event(json.dumps({"workflow": {"name": "echo"}, "input": {"a": 1}})), None)
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["input"] == {"a": 1}


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ("{not json", {}, 400),
        ('"a string"', {}, 422),
        (json.dumps({"workflow": {"name": 3}}), {}, 422),
        ("{}", {"Content-Type": "text/plain"}, 415),
    ],
)
def test_bad_bodies_are_problems(body: str, headers: dict[str, str], status: int) -> None:
    result = echo_body(event(body, headers), None)
    assert result["statusCode"] == status
    assert result["headers"]["Content-Type"] == "application/problem+json"
    problem = json.loads(result["body"])
    assert problem["status"] == status
    assert problem["instance"] == "/v1/runs"


def test_field_errors_name_the_field() -> None:
    result = echo_body(event(json.dumps({"workflow": {"name": "echo", "extra": 1}})), None)
    assert [e["field"] for e in json.loads(result["body"])["errors"]] == ["workflow.extra"]


def test_requests_without_a_tenant_are_401() -> None:
    assert echo_body(event("{}", tenant=None), None)["statusCode"] == 401


def test_domain_errors_carry_their_extra_fields() -> None:
    @api_handler
    def conflicted(request: Request) -> Response:
        raise Conflict("nope", status_now="succeeded")

    body = json.loads(conflicted(event(), None)["body"])
    assert body["status"] == 409
    assert body["status_now"] == "succeeded"


def test_unexpected_errors_are_500_without_internals() -> None:
    @api_handler
    def broken(request: Request) -> Response:
        raise RuntimeError("secret connection string")

    result = broken(event(), None)
    assert result["statusCode"] == 500
    assert "secret" not in result["body"]


def test_negotiation_prefers_what_the_client_accepts() -> None:
    def request(accept: str | None) -> Request:
        headers = {"accept": accept} if accept else {}
        return Request("GET", "/", {}, {}, headers, b"", "t", None, "r")

    assert negotiate(request(None), "application/json", "text/event-stream") == "application/json"
    assert (
        negotiate(request("text/event-stream"), "application/json", "text/event-stream")
        == "text/event-stream"
    )
    assert negotiate(request("*/*"), "application/json", "text/event-stream") == "application/json"
    with pytest.raises(NotAcceptable):
        negotiate(request("image/png"), "application/json", "text/event-stream")


def test_negotiation_honours_q_values() -> None:
    """Issue 21 #16: `q=0` refuses a type, and a higher q wins over the order of the header."""

    def chosen(accept: str) -> str:
        request = Request("GET", "/", {}, {}, {"accept": accept}, b"", "t", None, "r")
        return negotiate(request, "application/json", "text/event-stream")

    assert chosen("application/json;q=0, text/event-stream") == "text/event-stream"
    assert chosen("application/json;q=0.2, text/event-stream;q=0.9") == "text/event-stream"
    assert chosen("text/event-stream;q=0.1, application/json") == "application/json"
    assert chosen("text/event-stream, */*;q=0.1") == "text/event-stream"
    assert chosen("text/*, application/json;q=0.5") == "text/event-stream"
    assert chosen("not a media type") == "application/json"  # unreadable: as if absent
    with pytest.raises(NotAcceptable):
        chosen("application/json;q=0, text/event-stream;q=0")


def test_every_authenticated_response_names_the_callers_tenant() -> None:
    result = echo_body(event(json.dumps({"workflow": {"name": "echo"}})), None)
    assert result["headers"]["X-Tenant"] == "acme"

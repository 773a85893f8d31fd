"""The local gateway holds functions to Lambda's payload limits, as API Gateway + Lambda do in the cloud."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from agent_runtime_local import gateway


def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=gateway.create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(call())


def test_a_response_over_lambdas_6_mb_is_the_cloud_s_502(monkeypatch: pytest.MonkeyPatch) -> None:
    def huge(spec: Any) -> Any:
        return lambda event, context: {"statusCode": 200, "body": "x" * (7 * 1024 * 1024), "headers": {}}

    monkeypatch.setattr(gateway, "resolve_handler", huge)
    reply = send("GET", "/v1/workflows")
    assert reply.status_code == 502
    assert reply.headers["content-type"] == "application/problem+json"
    assert "6 MB" in reply.json()["detail"]


def test_a_request_over_lambdas_6_mb_is_the_cloud_s_413(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(spec: Any) -> Any:
        raise AssertionError("the function must not be invoked")

    monkeypatch.setattr(gateway, "resolve_handler", never)
    body = b'{"input":"' + b"x" * (7 * 1024 * 1024) + b'"}'
    reply = send("POST", "/v1/runs", content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 413


def test_a_method_no_route_takes_is_a_405_problem_naming_the_ones_it_does() -> None:
    # When a path the functions serve is asked with a method none of its routes takes (TRACE)
    reply = send("TRACE", "/v1/workflows")
    # Then the gateway answers as API Gateway's routing would, with its problem and the methods it takes
    assert reply.status_code == 405
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["allow"] == "GET"


def test_the_local_routes_still_answer_and_their_paths_other_methods_reach_the_gateway() -> None:
    # The docs page is FastAPI's route; a method it doesn't take is the gateway's 404 problem
    assert send("GET", "/docs").status_code == 200
    refused = send("DELETE", "/docs")
    assert (refused.status_code, refused.headers["content-type"]) == (404, "application/problem+json")

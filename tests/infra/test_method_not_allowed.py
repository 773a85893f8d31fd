"""A wrong method on a routed path is a 405 problem with an Allow header in the cloud, as in the
contract and the local gateway: each routed resource has an ANY method, behind the authorizer, whose
mock integration answers it (API Gateway would otherwise answer "missing authentication token")."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest

from agent_runtime_local import gateway
from functions import manifest

from .conftest import Synth

pytestmark = pytest.mark.infra


def _allowed() -> dict[str, list[str]]:
    """Each routed path -> its methods, sorted (the Allow header's order)."""
    allowed: dict[str, set[str]] = {}
    for route, _ in manifest.routes():
        allowed.setdefault(route.path, set()).add(route.method)
    return {path: sorted(methods) for path, methods in allowed.items()}


ALLOWED = _allowed()


def _resource_paths(synth: Synth) -> dict[str, str]:
    """Logical id of each AWS::ApiGateway::Resource -> its full path."""
    resources = synth.resources("AWS::ApiGateway::Resource")

    def path_of(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        return (path_of(parent["Ref"]) if "Ref" in parent else "") + "/" + props["PathPart"]

    return {logical_id: path_of(logical_id) for logical_id in resources}


def _methods_by_path(synth: Synth) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Path -> HTTP method -> the Properties of every Method with it (a list, to catch duplicates)."""
    paths = _resource_paths(synth)
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for method in synth.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        path = paths[props["ResourceId"]["Ref"]]
        found.setdefault(path, {}).setdefault(props["HttpMethod"], []).append(props)
    return found


def _any_method(synth: Synth, path: str) -> dict[str, Any]:
    (props,) = _methods_by_path(synth)[path]["ANY"]
    return props


def render(template: str, context: dict[str, str]) -> str:
    """Just enough of API Gateway's VTL for this template: `#set($x = <escaped $context.y>)` lines,
    then `$x` and `$context.y` references. JSON string escaping stands in for $util.escapeJavaScript
    with its `\\'` undone (the same for every character but '/', which both forms decode alike)."""
    variables = {f"context.{name}": value for name, value in context.items()}
    set_line = re.compile(
        r"#set\(\$(\w+) = \$util\.escapeJavaScript\(\$([\w.]+)\)\.replaceAll\(\"\\\\'\", \"'\"\)\)\n?"
    )
    for name, source in set_line.findall(template):
        variables[name] = json.dumps(variables[source])[1:-1]
    body = set_line.sub("", template)
    assert "#" not in body, f"VTL this renderer does not know: {body!r}"
    # Longest names first, so $context.path never eats the start of $context.pathX.
    for name in sorted(variables, key=len, reverse=True):
        body = body.replace(f"${name}", variables[name])
    assert "$" not in body, f"a variable was left unrendered: {body!r}"
    return body


def test_every_routed_resource_has_exactly_one_any_method(synth: Synth) -> None:
    by_path = _methods_by_path(synth)
    for path in ALLOWED:
        assert len(by_path[path].get("ANY", [])) == 1, f"{path}: no or several ANY methods"


def test_no_any_method_on_resources_without_routes(synth: Synth) -> None:
    unrouted = set(_resource_paths(synth).values()) - set(ALLOWED)
    assert "/v1" in unrouted  # a parent resource with no method of its own: unknown, so 404
    by_path = _methods_by_path(synth)
    assert not [path for path in unrouted if "ANY" in by_path.get(path, {})]
    assert {path for path, methods in by_path.items() if "ANY" in methods} == set(ALLOWED)


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_any_is_a_mock_answering_405_problem_json_with_the_resources_allow_header(
    synth: Synth, path: str
) -> None:
    props = _any_method(synth, path)
    integration = props["Integration"]
    assert integration["Type"] == "MOCK"
    # The mock takes its status from the request template; other content types never reach it raw.
    assert integration["PassthroughBehavior"] == "NEVER"
    assert integration["RequestTemplates"]
    assert all(json.loads(t) == {"statusCode": 405} for t in integration["RequestTemplates"].values())
    (response,) = integration["IntegrationResponses"]
    assert response["StatusCode"] == "405"
    assert "SelectionPattern" not in response  # the default response: whatever the mock says, 405
    allow = ", ".join(ALLOWED[path])
    assert response["ResponseParameters"] == {
        "method.response.header.Allow": f"'{allow}'",
        "method.response.header.Content-Type": "'application/problem+json'",
    }
    (method_response,) = props["MethodResponses"]
    assert method_response["StatusCode"] == "405"
    assert set(method_response["ResponseParameters"]) == set(response["ResponseParameters"])

    request_path = "/dev" + re.sub(r"\{\w+\}", 'it\'s-a-"quoted"-id', path)
    body = json.loads(
        render(
            response["ResponseTemplates"]["application/json"],
            {"path": request_path, "httpMethod": "PUT", "requestId": "req-1"},
        )
    )
    assert body == {
        "type": "/problems/method-not-allowed",
        "title": "Method not allowed",
        "status": 405,
        "detail": f"PUT is not allowed on {request_path}; use {allow}",
        "instance": request_path,
        "request_id": "req-1",
    }


PUBLIC = {route.path for route, spec in manifest.routes() if spec.public}


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_any_method_is_behind_the_authorizer(synth: Synth, path: str) -> None:
    """An unauthenticated wrong method is a 401 first, as on every other method; on a public path
    (FunctionSpec.public) it is the 405 itself, as its own methods have no authorizer either."""
    props = _any_method(synth, path)
    if path in PUBLIC:
        assert props["AuthorizationType"] == "NONE" and "AuthorizerId" not in props
        return
    assert props["AuthorizationType"] == "CUSTOM"
    # The same authorizer as the path's routes (their family's: infra/api.py identity_header).
    routed = [m for method, found in _methods_by_path(synth)[path].items() if method != "ANY" for m in found]
    assert {str(m["AuthorizerId"]) for m in routed} == {str(props["AuthorizerId"])}
    assert props["AuthorizerId"]["Ref"] in synth.resources("AWS::ApiGateway::Authorizer")


def test_explicit_methods_still_integrate_with_their_functions(synth: Synth) -> None:
    handlers = {k: r["Properties"]["Handler"] for k, r in synth.resources("AWS::Lambda::Function").items()}
    by_path = _methods_by_path(synth)
    for route, spec in manifest.routes():
        (props,) = by_path[route.path][route.method]
        assert props["Integration"]["Type"] == "AWS_PROXY", f"{route.method} {route.path}"
        uri = props["Integration"]["Uri"]["Fn::Join"][1]
        targets = {p["Fn::GetAtt"][0] for p in uri if isinstance(p, dict) and "Fn::GetAtt" in p}
        assert {handlers[t] for t in targets} == {spec.handler}, f"{route.method} {route.path}"


def _local_reply(method: str, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=gateway.create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            return await client.request(method, path)

    return asyncio.run(call())


def _concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "id-1", path)


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_the_cloud_405_is_the_local_gateways(synth: Synth, path: str) -> None:
    """Same status, Allow header and problem (with the request path as API Gateway sees it under a
    custom domain; request_id is the cloud's extension, as in its other gateway problems)."""
    method = next(m for m in ("PUT", "PATCH", "DELETE", "POST") if m not in ALLOWED[path])
    local = _local_reply(method, _concrete(path))
    response = _any_method(synth, path)["Integration"]["IntegrationResponses"][0]
    cloud = json.loads(
        render(
            response["ResponseTemplates"]["application/json"],
            {"path": _concrete(path), "httpMethod": method, "requestId": "req-1"},
        )
    )
    assert local.status_code == 405
    assert local.headers["content-type"] == "application/problem+json"
    assert f"'{local.headers['allow']}'" == response["ResponseParameters"]["method.response.header.Allow"]
    assert {**local.json(), "request_id": "req-1"} == cloud

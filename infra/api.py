"""API Gateway (REST): resources and methods from the manifest's routes, behind the REQUEST authorizer.

Each routed resource also has an ANY method answering 405 with an Allow header, as the contract and the
local gateway do, instead of API Gateway's "missing authentication token" (our 404) for a wrong method.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions import manifest
from infra.compute import Compute
from infra.config import StackConfig

# API Gateway's own error responses, as RFC 9457 problems like the handlers' and the local gateway's.
PROBLEM_RESPONSES = (
    (apigw.ResponseType.UNAUTHORIZED, 401, "Unauthorized", "missing or unknown API key", "unauthorized"),
    (apigw.ResponseType.ACCESS_DENIED, 403, "Forbidden", "the API key may not call this method", "forbidden"),
    # A path with no route: API Gateway calls this "missing authentication token" (403); we say 404.
    (
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        404,
        "Not found",
        "no route for this path",
        "not-found",
    ),
    (
        apigw.ResponseType.THROTTLED,
        429,
        "Too many requests",
        "the API's rate limit was exceeded",
        "throttled",
    ),
    (
        apigw.ResponseType.DEFAULT_4_XX,
        None,
        "Bad request",
        "the request was refused by the gateway",
        "bad-request",
    ),
    (
        apigw.ResponseType.DEFAULT_5_XX,
        None,
        "Gateway error",
        "the gateway could not complete the request",
        "gateway",
    ),
)


def _problem_template(status: int | None, title: str, detail: str, slug: str) -> str:
    """A mapping template rendering a problem; DEFAULT_* responses leave out the status they can't know."""
    body: dict[str, object] = {"type": f"/problems/{slug}", "title": title}
    if status is not None:
        body["status"] = status
    body["detail"] = detail
    body["instance"] = "$context.path"
    body["request_id"] = "$context.requestId"
    return json.dumps(body)


# The 405 a mock integration answers for a wrong method on a routed resource, shaped like the local
# gateway's (local/agent_runtime_local/gateway.py). Mapping templates, unlike gateway responses, have $util:
# the path is escaped for JSON (escapeJavaScript also escapes ', which JSON must not see escaped).
METHOD_NOT_ALLOWED_TEMPLATE = (
    r"""#set($path = $util.escapeJavaScript($context.path).replaceAll("\\'", "'"))"""
    "\n"
    '{{"type": "/problems/method-not-allowed", "title": "Method not allowed", "status": 405, '
    '"detail": "$context.httpMethod is not allowed on $path; use {allow}", "instance": "$path", '
    '"request_id": "$context.requestId"}}'
)
# The mock reads its status from the request template's output. Content types with no template are
# refused with 415 (NEVER) rather than passed raw to the mock, which expects {"statusCode": ...}.
MOCK_REQUEST_CONTENT_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded")


def _method_not_allowed(allow: str) -> apigw.MockIntegration:
    return apigw.MockIntegration(
        request_templates={
            content_type: '{"statusCode": 405}' for content_type in MOCK_REQUEST_CONTENT_TYPES
        },
        passthrough_behavior=apigw.PassthroughBehavior.NEVER,
        integration_responses=[
            # No selection pattern: the default response, whatever status the mock reports.
            apigw.IntegrationResponse(
                status_code="405",
                response_parameters={
                    "method.response.header.Allow": f"'{allow}'",
                    "method.response.header.Content-Type": "'application/problem+json'",
                },
                response_templates={"application/json": METHOD_NOT_ALLOWED_TEMPLATE.format(allow=allow)},
            )
        ],
    )


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, compute: Compute) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.log_retention, removal_policy=config.removal_policy
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"agent-runtime-{config.stage}",
            description="agent-runtime HTTP API (openapi/agent-runtime.yaml)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # API Gateway writes access and execution logs through the account's CloudWatch role.
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=False,
                tracing_enabled=config.tracing,
                throttling_rate_limit=config.throttling_rate_limit,
                throttling_burst_limit=config.throttling_burst_limit,
            ),
        )
        # API Gateway writes execution logs to a group it names and, if it is missing, creates outside
        # CloudFormation with no retention. Created here first (the stage waits for it), it has ours.
        self.execution_logs = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"API-Gateway-Execution-Logs_{self.rest_api.rest_api_id}/{config.stage}",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        self.rest_api.deployment_stage.node.add_dependency(self.execution_logs)
        # ACP clients send x-api-key, v1 clients Authorization: Bearer. A REQUEST authorizer's identity
        # sources must ALL be present or API Gateway answers 401 without calling it, so listing both
        # headers would lock out each kind of client. Identity sources are only required when results
        # are cached, so: no caching and no identity sources; the authorizer runs on every request and
        # reads whichever header is there (agent_runtime.auth.key_from_headers).
        authorizer_fn = compute.functions[manifest.AUTHORIZER].function
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "Authorizer",
            handler=authorizer_fn,
            identity_sources=[],
            results_cache_ttl=Duration.seconds(0),
        )
        # CDK renders the empty list as IdentitySource: ""; leave the property out as documented.
        self.authorizer.node.default_child.add_property_deletion_override("IdentitySource")  # type: ignore[union-attr]
        for response_type, status, title, detail, slug in PROBLEM_RESPONSES:
            self.rest_api.add_gateway_response(
                f"Problem{slug.title().replace('-', '')}",
                type=response_type,
                status_code=str(status) if status else None,
                response_headers={
                    "Content-Type": "'application/problem+json'",
                    **({"WWW-Authenticate": "'Bearer'"} if status == 401 else {}),
                },
                templates={"application/json": _problem_template(status, title, detail, slug)},
            )
        self.methods: list[apigw.Method] = []
        # Methods of public routes (FunctionSpec.public: A2A's agent cards), without the authorizer.
        self.public_methods: list[apigw.Method] = []
        integrations: dict[str, apigw.LambdaIntegration] = {}
        for route, spec in manifest.routes():
            integration = integrations.setdefault(
                spec.name,
                apigw.LambdaIntegration(
                    compute.functions[spec.name].function, proxy=True, allow_test_invoke=False
                ),
            )
            resource = self.rest_api.root.resource_for_path(route.path)
            method = resource.add_method(route.method, integration, **self._auth(spec.public))
            (self.public_methods if spec.public else self.methods).append(method)
        # Only a method with no Method of its own on the resource reaches ANY, which "will catch any HTTP
        # method that wasn't explicitly declared" (x-amazon-apigateway-any-method,
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-any-method.html),
        # so the routes above keep their functions. Behind the same authorizer: no endpoint skips it.
        allowed: dict[str, set[str]] = {}
        public = {route.path for route, spec in manifest.routes() if spec.public}
        for route, _ in manifest.routes():
            allowed.setdefault(route.path, set()).add(route.method)
        self.method_not_allowed: dict[str, apigw.Method] = {}
        for path, methods in allowed.items():
            allow = ", ".join(sorted(methods))
            self.method_not_allowed[path] = self.rest_api.root.resource_for_path(path).add_method(
                "ANY",
                _method_not_allowed(allow),
                **self._auth(path in public),
                method_responses=[
                    apigw.MethodResponse(
                        status_code="405",
                        response_parameters={
                            "method.response.header.Allow": True,
                            "method.response.header.Content-Type": True,
                        },
                    )
                ],
            )

    def _auth(self, public: bool) -> dict[str, Any]:
        """Every method is behind the authorizer but a public route's (FunctionSpec.public)."""
        if public:
            return {"authorization_type": apigw.AuthorizationType.NONE}
        return {"authorizer": self.authorizer, "authorization_type": apigw.AuthorizationType.CUSTOM}

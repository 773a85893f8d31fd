"""API Gateway (REST): resources and methods from the manifest's routes, behind REQUEST authorizers
(one per route family, cached per API key: identity_header).

Each routed resource also has an ANY method answering 405 with an Allow header, as the contract and the
local gateway do, instead of API Gateway's "missing authentication token" (our 404) for a wrong method.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
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
        apigw.ResponseType.AUTHORIZER_FAILURE,
        503,
        "Service unavailable",
        "the API key could not be checked just now; try again",
        "unavailable",
    ),
    # A tenant with no usage key in the usage plan (its keys predate it: api-key sync-usage-plan).
    (
        apigw.ResponseType.INVALID_API_KEY,
        403,
        "Forbidden",
        "the tenant is not in the API's usage plan yet; ask the operator to sync it",
        "no-usage-key",
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
# Connect's binary content types (unary protobuf, and streams in either codec: 5-byte envelopes).
CONNECT_BINARY_MEDIA_TYPES = ("application/proto", "application/connect+proto", "application/connect+json")
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
            # The Connect door's binary bodies (protobuf, stream envelopes) reach its functions base64
            # encoded, and their base64 answers go back as bytes (docs/decisions.md 71).
            binary_media_types=list(CONNECT_BINARY_MEDIA_TYPES),
            # Usage plans meter the key the authorizer names (usageIdentifierKey: the tenant's usage key,
            # engine/api_keys.py), not an x-api-key header, which ACP clients fill with their own key.
            api_key_source_type=apigw.ApiKeySourceType.AUTHORIZER,
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
        # One REQUEST authorizer (the same function) per route family, by the header its clients send
        # (identity_header, docs/decisions.md 60): cached per key where the family has one header form.
        self.authorizer_function = compute.functions[manifest.AUTHORIZER].function
        self.authorizers: dict[str | None, apigw.RequestAuthorizer] = {
            header: request_authorizer(self, self.authorizer_function, header) for header in (BEARER, None)
        }
        for response_type, status, title, detail, slug in PROBLEM_RESPONSES:
            self.rest_api.add_gateway_response(
                f"Problem{slug.title().replace('-', '')}",
                type=response_type,
                status_code=str(status) if status else None,
                response_headers={
                    "Content-Type": "'application/problem+json'",
                    **({"WWW-Authenticate": "'Bearer'"} if status == 401 else {}),
                    **({"Retry-After": "'1'"} if status in (429, 503) else {}),
                },
                templates={"application/json": _problem_template(status, title, detail, slug)},
            )
        routed = RoutedMethods(
            self.rest_api.root,
            [(route, spec) for route, spec in manifest.routes() if spec.name in compute.functions],
            {name: deployed.function for name, deployed in compute.functions.items()},
            self.authorizers,
        )
        self.methods = routed.methods
        # Methods of public routes (FunctionSpec.public: A2A's agent cards), without the authorizer.
        self.public_methods = routed.public_methods
        self.method_not_allowed = routed.method_not_allowed
        # Each tenant's rate (docs/decisions.md 62): a usage plan throttles each of its API keys, one
        # per tenant (engine/api_keys.py), on every method that requires one (RoutedMethods._auth); the
        # stage's throttling stays the ceiling of all tenants together. Operators pass its id
        # (UsagePlanId output) as USAGE_PLAN_ID when they issue keys.
        self.usage_plan = self.rest_api.add_usage_plan(
            "TenantUsagePlan",
            name=f"agent-runtime-{config.stage}-tenants",
            description="agent-runtime: each tenant's request rate (manifest.TENANT_THROTTLE)",
            throttle=apigw.ThrottleSettings(
                rate_limit=manifest.TENANT_THROTTLE.rate_per_second,
                burst_limit=manifest.TENANT_THROTTLE.burst,
            ),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )


class RoutedMethods:
    """The methods of some manifest routes under `root` (the API's, or its import in a nested stack),
    each invoking its function, and on each routed resource an ANY method answering 405."""

    def __init__(
        self,
        root: apigw.IResource,
        routes: list[tuple[manifest.Route, manifest.FunctionSpec]],
        functions: dict[str, lambda_.IFunction],
        authorizers: Mapping[str | None, apigw.IAuthorizer],
    ) -> None:
        self.authorizers = authorizers
        self.methods: list[apigw.Method] = []
        self.public_methods: list[apigw.Method] = []
        integrations: dict[str, apigw.LambdaIntegration] = {}
        for route, spec in routes:
            integration = integrations.setdefault(
                spec.name, apigw.LambdaIntegration(functions[spec.name], proxy=True, allow_test_invoke=False)
            )
            resource = root.resource_for_path(route.path)
            method = resource.add_method(route.method, integration, **self._auth(spec))
            (self.public_methods if spec.public else self.methods).append(method)
        # Only a method with no Method of its own on the resource reaches ANY, which "will catch any HTTP
        # method that wasn't explicitly declared" (x-amazon-apigateway-any-method,
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-any-method.html),
        # so the routes above keep their functions. Behind the same authorizer: no endpoint skips it.
        # Every route of a path must be in `routes` (so in one stack): the Allow header lists them all.
        allowed: dict[str, set[str]] = {}
        specs = {route.path: spec for route, spec in routes}
        for route, _ in routes:
            allowed.setdefault(route.path, set()).add(route.method)
        self.method_not_allowed: dict[str, apigw.Method] = {}
        for path, methods in allowed.items():
            allow = ", ".join(sorted(methods))
            self.method_not_allowed[path] = root.resource_for_path(path).add_method(
                "ANY",
                _method_not_allowed(allow),
                **self._auth(specs[path]),
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

    def _auth(self, spec: manifest.FunctionSpec) -> dict[str, Any]:
        """Every method is behind its family's authorizer but a public route's (FunctionSpec.public)."""
        if spec.public:
            return {"authorization_type": apigw.AuthorizationType.NONE}
        authorizer = self.authorizers[identity_header(spec)]
        # Requiring an API key is what puts a method under the usage plan's per-tenant throttle: the key
        # is the one the authorizer names (ApiKeySourceType.AUTHORIZER), clients send none of their own.
        return {
            "authorizer": authorizer,
            "authorization_type": apigw.AuthorizationType.CUSTOM,
            "api_key_required": True,
        }


# Each route family's authorizer is cached per the one header its clients send the key in
# (manifest.key_header); A2A's, which takes either, names none and is not cached.
BEARER = manifest.BEARER_HEADER
API_KEY = manifest.API_KEY_HEADER
# How long API Gateway keeps an authorizer's answer for a key: a revoked key works this long at most.
AUTHORIZER_CACHE_TTL = Duration.minutes(5)


identity_header = manifest.key_header


def request_authorizer(
    scope: Construct, function: lambda_.IFunction, header: str | None
) -> apigw.RequestAuthorizer:
    """The REQUEST authorizer of one route family: cached per value of `header`, or with none uncached."""
    if header is None:
        authorizer = apigw.RequestAuthorizer(
            scope, "Authorizer", handler=function, identity_sources=[], results_cache_ttl=Duration.seconds(0)
        )
        # CDK renders the empty list as IdentitySource: ""; leave the property out as documented.
        authorizer.node.default_child.add_property_deletion_override("IdentitySource")  # type: ignore[union-attr]
        return authorizer
    return apigw.RequestAuthorizer(
        scope,
        f"{header.title().replace('-', '')}Authorizer",
        handler=function,
        identity_sources=[apigw.IdentitySource.header(header)],
        results_cache_ttl=AUTHORIZER_CACHE_TTL,
    )

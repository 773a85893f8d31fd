"""A door's functions and routes in a nested stack of their own (docs/decisions.md 58), so the main
template stays well under CloudFormation's 500 resources as functions are added (tests/infra caps it).

ACP is one: 30 operations, each a function, log group, Lambda permission and methods, with its own
top-level resources (/agents, /runs, /threads), so no API resource is shared with the main stack. Its
functions are built as the main stack's are (infra/compute.py FunctionFactory: same code, layers,
environment, grants), with roles of their own per set of grants in the nested stack; its methods are
behind authorizers of its own (of the main stack's authorizer function); the API's deployment waits
for the nested stack and changes when its routes do (as for the console, infra/console.py).
"""

from __future__ import annotations

import hashlib
import json

from aws_cdk import NestedStack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions import manifest
from infra.api import RoutedMethods, identity_header, request_authorizer
from infra.compute import DeployedFunction, FunctionFactory, FunctionInputs

# Each nested door: its construct id -> the manifest functions it holds (with all their routes).
DOORS: dict[str, frozenset[str]] = {
    "AcpDoor": frozenset(name for name, *_ in manifest.ACP_OPERATIONS),
    # Connect (proto/agent_runtime.proto): 17 methods under /agent_runtime.v1.<Service>/ resources.
    "ConnectDoor": frozenset(manifest.CONNECT_FUNCTIONS),
}

# A door whose functions are built in a construct of this id, so their logical ids (roles are named by
# their grants) differ from every other template's: tests/infra checks the templates as one. ACP's
# predate this and keep theirs, so a deploy doesn't replace its roles and functions.
FUNCTION_SCOPES: dict[str, str] = {"ConnectDoor": "Connect"}


def nested_function_names() -> frozenset[str]:
    return frozenset().union(*DOORS.values())


class DoorStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: frozenset[str],
        inputs: FunctionInputs,
        rest_api: apigw.RestApi,
        authorizer_function: lambda_.IFunction,
    ) -> None:
        super().__init__(
            scope, construct_id, description=f"agent-runtime: {construct_id} functions and routes"
        )
        scope_id = FUNCTION_SCOPES.get(construct_id)
        factory = FunctionFactory(Construct(self, scope_id) if scope_id else self, inputs)
        specs = [spec for spec in manifest.FUNCTIONS if spec.name in names]
        self.functions: dict[str, DeployedFunction] = {spec.name: factory.function(spec) for spec in specs}
        self.routes = [(route, spec) for route, spec in manifest.routes() if spec.name in names]
        api = apigw.RestApi.from_rest_api_attributes(
            self,
            "Api",
            rest_api_id=rest_api.rest_api_id,
            root_resource_id=rest_api.rest_api_root_resource_id,
        )
        # Its family's authorizers (api.identity_header), of the main stack's authorizer function.
        headers = {identity_header(spec) for spec in specs if not spec.public}
        self.authorizers = {
            header: request_authorizer(self, authorizer_function, header) for header in headers
        }
        routed = RoutedMethods(
            api.root,
            self.routes,
            {name: deployed.function for name, deployed in self.functions.items()},
            self.authorizers,
        )
        self.methods = routed.methods
        self.method_not_allowed = routed.method_not_allowed

    def fingerprint(self) -> str:
        """What its methods are: the API is redeployed when they change."""
        spec = sorted(f"{route.method} {route.path} {spec.name}" for route, spec in self.routes)
        return hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:16]


def add_doors(
    scope: Construct,
    *,
    inputs: FunctionInputs,
    rest_api: apigw.RestApi,
    authorizer_function: lambda_.IFunction,
) -> list[DoorStack]:
    """The nested doors, published with the API: its deployment waits for each and is a new deployment
    whenever a door's routes change. A door's top-level path segments are its own: an API resource
    belongs to one stack."""
    main_tops = {
        route.path.split("/")[1]
        for route, spec in manifest.routes()
        if spec.name not in nested_function_names()
    }
    doors = []
    for construct_id, names in DOORS.items():
        door = DoorStack(
            scope,
            construct_id,
            names=names,
            inputs=inputs,
            rest_api=rest_api,
            authorizer_function=authorizer_function,
        )
        tops = {route.path.split("/")[1] for route, _ in door.routes}
        if tops & main_tops:
            raise ValueError(
                f"{construct_id} shares top-level paths with the main stack: {sorted(tops & main_tops)}"
            )
        deployment = rest_api.latest_deployment
        if deployment is not None:
            deployment.node.add_dependency(door)
            deployment.add_to_logical_id({construct_id: door.fingerprint()})
        doors.append(door)
    return doors

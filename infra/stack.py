"""The whole runtime in one stack: data, artifacts, compute, orchestration, api, observability."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from functions import manifest
from infra.api import Api
from infra.artifacts import Artifacts
from infra.callbacks import CallbackQueues, connect_triggers
from infra.compute import Compute
from infra.config import StackConfig
from infra.console import add_console
from infra.data import Data
from infra.doors import add_doors, nested_function_names
from infra.nag import acknowledge_findings
from infra.observability import Observability
from infra.orchestration import Orchestration


class AgentRuntimeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"agent-runtime ({config.stage}): workflow runtime on AWS serverless",
            **kwargs,
        )
        self.config = config
        self.data = Data(self, "Data", config=config)
        self.artifacts = Artifacts(self, "Artifacts", config=config)
        self.callback_queues = CallbackQueues(self, "Callbacks", config=config)
        self.compute = Compute(
            self,
            "Compute",
            config=config,
            data=self.data,
            bucket=self.artifacts.bucket,
            queues=self.callback_queues,
            specs=tuple(s for s in manifest.FUNCTIONS if s.name not in nested_function_names()),
        )
        assert self.data.table.table_stream_arn is not None
        self.event_sources = connect_triggers(
            self.callback_queues,
            {name: deployed.function for name, deployed in self.compute.functions.items()},
            self.data.table.table_stream_arn,
            self.callback_queues,
        )
        self.orchestration = Orchestration(self, "Orchestration", config=config, compute=self.compute)
        self.api = Api(self, "Api", config=config, compute=self.compute)
        # Doors whose functions and routes live in nested stacks (infra/doors.py): the main template's
        # resource budget.
        self.doors = add_doors(
            self,
            inputs=self.compute.inputs,
            rest_api=self.api.rest_api,
            authorizer_function=self.api.authorizer_function,
        )
        self.observability = Observability(
            self,
            "Observability",
            config=config,
            compute=self.compute,
            rest_api=self.api.rest_api,
            state_machine=self.orchestration.state_machine,
            dead_letters=self.callback_queues.dead_letters,
        )
        # The approvals console: static files behind the same API, in a nested stack (infra/console.py).
        self.console = add_console(self, config=config, rest_api=self.api.rest_api)
        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="Base URL of the HTTP API")
        CfnOutput(
            self,
            "ConsoleUrl",
            value=f"{self.api.rest_api.url}console/index.html",
            description="The approvals console (sign in with an API key)",
        )
        CfnOutput(
            self,
            "UsagePlanId",
            value=self.api.usage_plan.usage_plan_id,
            description="The per-tenant usage plan: USAGE_PLAN_ID when issuing API keys",
        )
        CfnOutput(self, "TableName", value=self.data.table.table_name)
        CfnOutput(self, "BucketName", value=self.artifacts.bucket.bucket_name)
        CfnOutput(self, "StateMachineArn", value=self.orchestration.state_machine.state_machine_arn)
        acknowledge_findings(self)

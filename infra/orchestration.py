"""The run state machines: manifest.state_machine_definition() (functions/statemachine/run.asl.json), the
same definition the local stack runs in moto, as STANDARD, and as EXPRESS without its human states."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions import manifest
from infra.compute import Compute
from infra.config import StackConfig


class Orchestration(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, compute: Compute) -> None:
        super().__init__(scope, construct_id)
        invoked = {
            variable: compute.functions[name].function
            for variable, name in manifest.STATE_MACHINE_FUNCTIONS.items()
        }
        self.log_group = self._log_group(config.state_machine_name, config)
        self.state_machine = self._machine(
            "Run",
            config.state_machine_name,
            sfn.StateMachineType.STANDARD,
            manifest.state_machine_definition(),
            self.log_group,
            config,
            invoked,
        )
        # Runs that can't wait for a human (engine/orchestration.py runs_on_express): the same
        # definition with its human states left out, at Express prices (docs/decisions.md 61).
        self.express_log_group = self._log_group(config.express_state_machine_name, config)
        self.express_state_machine = self._machine(
            "ExpressRun",
            config.express_state_machine_name,
            sfn.StateMachineType.EXPRESS,
            manifest.express_state_machine_definition(),
            self.express_log_group,
            config,
            invoked,
        )
        self.invoked_functions = invoked

    def _log_group(self, name: str, config: StackConfig) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            "Logs" if name == config.state_machine_name else "ExpressLogs",
            # Step Functions' resource policy for vended logs covers /aws/vendedlogs/*.
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _machine(
        self,
        construct_id: str,
        name: str,
        machine_type: sfn.StateMachineType,
        definition: str,
        log_group: logs.LogGroup,
        config: StackConfig,
        invoked: Mapping[str, lambda_.IFunction],
    ) -> sfn.StateMachine:
        referenced = {v: fn for v, fn in invoked.items() if "${" + v + "}" in definition}
        machine = sfn.StateMachine(
            self,
            construct_id,
            state_machine_name=name,
            state_machine_type=machine_type,
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions={variable: fn.function_arn for variable, fn in referenced.items()},
            logs=sfn.LogOptions(
                destination=log_group,
                level=sfn.LogLevel[config.state_machine_log_level],
                # Never: execution data holds the task tokens AwaitHuman passes on ($$.Task.Token), and a
                # token is the capability to complete the task. Run state is in the table instead.
                include_execution_data=False,
            ),
            tracing_enabled=config.tracing,
            # Its name is fixed, so a retained one would block the next deploy; runs live in the table.
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Exactly the functions the definition references, unqualified (the ASL invokes them so).
        machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[fn.function_arn for fn in referenced.values()]
            )
        )
        return machine

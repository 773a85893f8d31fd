"""The run state machine: manifest.state_machine_definition() (functions/statemachine/run.asl.json), the
same definition the local stack runs in moto."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
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
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            # Step Functions' resource policy for vended logs covers /aws/vendedlogs/*.
            log_group_name=f"/aws/vendedlogs/states/{config.state_machine_name}",
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Run",
            state_machine_name=config.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(manifest.state_machine_definition()),
            definition_substitutions={variable: fn.function_arn for variable, fn in invoked.items()},
            logs=sfn.LogOptions(
                destination=self.log_group,
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
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[fn.function_arn for fn in invoked.values()],
            )
        )
        self.invoked_functions = invoked

"""CloudWatch alarms: each function's errors and throttles, the run state machine's failed executions."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.compute import Compute, pascal
from infra.config import StackConfig

PERIOD = Duration.minutes(5)


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        compute: Compute,
        state_machine: sfn.StateMachine,
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []
        if not config.alarms:
            return
        for name, deployed in compute.functions.items():
            fn = deployed.function
            for kind, metric in (
                ("Errors", fn.metric_errors(period=PERIOD)),
                ("Throttles", fn.metric_throttles(period=PERIOD)),
            ):
                self.alarms.append(
                    cloudwatch.Alarm(
                        self,
                        f"{pascal(name)}{kind}",
                        alarm_description=f"agent-runtime {config.stage}: {name} {kind.lower()} in 5 minutes",
                        metric=metric,
                        threshold=1,
                        evaluation_periods=1,
                        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    )
                )
        self.alarms.append(
            cloudwatch.Alarm(
                self,
                "RunExecutionsFailed",
                alarm_description=f"agent-runtime {config.stage}: run state machine executions failed",
                metric=state_machine.metric_failed(period=PERIOD),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        self.alarms.append(
            cloudwatch.Alarm(
                self,
                "WebhookDeadLetters",
                alarm_description=(
                    f"agent-runtime {config.stage}: webhook deliveries gave up (dead-letter queue not empty)"
                ),
                metric=dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

"""CloudWatch alarms, few and cheap ($0.10 per alarm-month): the API's 5XX responses (which cover the
errors and throttles of every route's function, since a failed proxy integration answers 5XX), each
function without a route (workers, the authorizer) by its errors and throttles, the run state
machine's failed executions, and the webhook dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
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
        rest_api: apigw.RestApi,
        state_machine: sfn.StateMachine,
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []
        if not config.alarms:
            return
        self.alarms.append(
            cloudwatch.Alarm(
                self,
                "Api5xx",
                alarm_description=f"agent-runtime {config.stage}: the API answered 5XX in 5 minutes",
                metric=rest_api.metric_server_error(period=PERIOD, statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        for name, deployed in compute.functions.items():
            if deployed.spec.routes:
                continue  # covered by Api5xx
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

"""CloudWatch alarms, few and cheap ($0.10 per alarm-month): the API's 5XX responses (which cover the
errors and throttles of every route's function, since a failed proxy integration answers 5XX), each
function without a route (workers, the authorizer) by its errors and throttles, the run state
machine's failed executions, and the dead-letter queue (webhook deliveries, table-stream batches and
schedule invocations that gave up). With context alarmEmail, every alarm notifies an SNS topic that
address subscribes to."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.compute import Compute, pascal
from infra.config import StackConfig

PERIOD = Duration.minutes(5)
CLOUDWATCH = iam.ServicePrincipal("cloudwatch.amazonaws.com")


class AlarmTopic(Construct):
    """An SNS topic encrypted with a key of its own: CloudWatch alarms can't publish to a topic encrypted
    with the AWS-managed aws/sns key (its policy can't grant them kms:GenerateDataKey), so a customer
    managed key ($1 a month) is the price of an encrypted topic."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, email: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"agent-runtime {config.stage}: encrypts the alarm topic",
            enable_key_rotation=True,
            # The topic holds no data at rest (messages are delivered at once): nothing to keep it for.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        self.key.grant(CLOUDWATCH, "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=f"agent-runtime {config.stage} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        # The topic policy replaces SNS's default one: allow this account's alarms, and only them.
        alarms_arn = Stack.of(self).format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[CLOUDWATCH],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"ArnLike": {"aws:SourceArn": alarms_arn}},
            )
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(email))


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
        self.alarm_topic: AlarmTopic | None = None
        if not config.alarms:
            return
        if config.alarm_email is not None:
            self.alarm_topic = AlarmTopic(self, "AlarmTopic", config=config, email=config.alarm_email)
        self._alarm(
            config,
            "Api5xx",
            "the API answered 5XX in 5 minutes",
            rest_api.metric_server_error(period=PERIOD, statistic="Sum"),
        )
        for name, deployed in compute.functions.items():
            if deployed.spec.routes:
                continue  # covered by Api5xx
            fn = deployed.function
            for kind, metric in (
                ("Errors", fn.metric_errors(period=PERIOD)),
                ("Throttles", fn.metric_throttles(period=PERIOD)),
            ):
                self._alarm(config, f"{pascal(name)}{kind}", f"{name} {kind.lower()} in 5 minutes", metric)
        self._alarm(
            config,
            "RunExecutionsFailed",
            "run state machine executions failed",
            state_machine.metric_failed(period=PERIOD),
        )
        self._alarm(
            config,
            "WebhookDeadLetters",
            "webhook deliveries, table-stream batches or schedule invocations gave up (dead-letter queue "
            "not empty)",
            dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD),
        )

    def _alarm(self, config: StackConfig, construct_id: str, what: str, metric: cloudwatch.IMetric) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=f"agent-runtime {config.stage}: {what}",
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if self.alarm_topic is not None:
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic.topic))
        self.alarms.append(alarm)

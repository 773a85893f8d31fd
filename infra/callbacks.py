"""Webhooks: the delivery queue and its dead-letter queue (also the on-failure destination of the table
stream's mapping and of schedules), and what drives the manifest's triggered functions
(functions/manifest.py `trigger`): event source mappings for the table stream and the webhook queue, an
EventBridge Scheduler schedule for a timer."""

from __future__ import annotations

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.manifest import FUNCTIONS, Grant, Trigger
from infra.config import StackConfig

# Lambda's guidance: a queue's visibility timeout at least six times its consumer's timeout.
VISIBILITY_FACTOR = 6
# A message whose handler keeps crashing (not a failed HTTP attempt: those re-enqueue themselves)
# goes to the DLQ after this many receives.
MAX_RECEIVES = 5


class CallbackQueues(Construct):
    """Created before the functions, which need the queue URLs in their environment."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        consumer_timeout = max(
            (s.timeout_seconds for s in FUNCTIONS if s.trigger == Trigger.WEBHOOK_QUEUE), default=30
        )
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=config.removal_policy,
        )
        self.queue = sqs.Queue(
            self,
            "Deliveries",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(consumer_timeout * VISIBILITY_FACTOR),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVES),
            removal_policy=config.removal_policy,
        )


@jsii.implements(lambda_.IEventSourceDlq)
class QueueOnFailure:
    """An event source mapping's on-failure destination, like lambda_event_sources.SqsDlq but without
    its grant (sqs:SendMessage, GetQueueAttributes, GetQueueUrl): Lambda needs only sqs:SendMessage, with
    the function's role, and the manifest grant queue:send already allows it on the dead-letter queue."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self.queue.queue_arn)


# A schedule's invocation (asynchronous: Scheduler hands the event to Lambda) that Scheduler could not
# deliver (throttled, service errors) is retried this often within this age, then dead-lettered.
SCHEDULE_RETRIES = 2
SCHEDULE_MAX_EVENT_AGE = Duration.minutes(5)


def connect_triggers(
    scope: Construct, functions: dict[str, lambda_.IFunction], stream_arn: str, queues: CallbackQueues
) -> list[Construct]:
    """One event source mapping or schedule per function with a trigger. The low-level mapping adds no
    IAM of its own: the functions' manifest grants (stream:read, queue:consume, queue:send for the
    stream's on-failure destination) already allow exactly it. A schedule invokes with a role of its
    own that may invoke only its function and send to the dead-letter queue."""
    mappings: list[Construct] = []
    for spec in FUNCTIONS:
        if spec.trigger is None:
            continue
        fn = functions[spec.name]
        mapping: Construct
        if spec.trigger == Trigger.TABLE_STREAM:
            if Grant.QUEUE_SEND not in spec.grants:
                raise ValueError(f"{spec.name}: a table-stream consumer needs the grant queue:send (its DLQ)")
            mapping = lambda_.EventSourceMapping(
                scope,
                f"{spec.name}-stream",
                target=fn,
                event_source_arn=stream_arn,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                max_batching_window=Duration.seconds(1),
                # Deliveries are idempotent (conditional put by run id + seq): retrying a batch is safe.
                retry_attempts=10,
                bisect_batch_on_error=True,
                max_record_age=Duration.hours(24),
                # A batch still failing after the retries or the age limit is skipped: its description
                # (shard, sequence numbers) goes to the dead-letter queue, whose depth is alarmed.
                on_failure=QueueOnFailure(queues.dead_letters),
                filters=[{"pattern": spec.trigger_filter}] if spec.trigger_filter else None,
            )
        elif spec.trigger == Trigger.WEBHOOK_QUEUE:
            mapping = lambda_.EventSourceMapping(
                scope,
                f"{spec.name}-queue",
                target=fn,
                event_source_arn=queues.queue.queue_arn,
                batch_size=10,
                max_batching_window=Duration.seconds(1),
                report_batch_item_failures=True,
            )
        elif spec.trigger == Trigger.SCHEDULE:
            if not spec.schedule:
                raise ValueError(f"{spec.name}: trigger=SCHEDULE needs a schedule, such as 'rate(1 minute)'")
            mapping = schedule(scope, spec.name, spec.schedule, fn, queues.dead_letters)
        else:
            raise KeyError(f"no event source for trigger {spec.trigger!r} of {spec.name}")
        mappings.append(mapping)
    return mappings


def schedule(
    scope: Construct, name: str, expression: str, fn: lambda_.IFunction, dead_letters: sqs.IQueue
) -> scheduler.CfnSchedule:
    """An EventBridge Scheduler schedule invoking `fn`, with a role that may invoke only that function
    (not its versions or aliases, which the L2 target grants) and dead-letter to `dead_letters`."""
    role = iam.Role(
        scope,
        f"{name}-schedule-role",
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            # Only this account's schedules may assume it (the confused-deputy guard of the Scheduler guide).
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}},
        ),
        description=f"EventBridge Scheduler invokes {name}",
    )
    role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[fn.function_arn]))
    role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn]))
    # The next tick is the retry: Lambda's asynchronous retries of a failed run would overlap it.
    fn.configure_async_invoke(retry_attempts=0)
    return scheduler.CfnSchedule(
        scope,
        f"{name}-schedule",
        description=f"agent-runtime: runs {name} {expression}",
        schedule_expression=expression,
        flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
        target=scheduler.CfnSchedule.TargetProperty(
            arn=fn.function_arn,
            role_arn=role.role_arn,
            retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                maximum_retry_attempts=SCHEDULE_RETRIES,
                maximum_event_age_in_seconds=int(SCHEDULE_MAX_EVENT_AGE.to_seconds()),
            ),
            dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=dead_letters.queue_arn),
        ),
    )

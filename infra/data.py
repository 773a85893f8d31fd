"""The DynamoDB table, declared from agent_runtime.store.schema: the keys, indexes, stream and TTL the
store queries by and the local stack creates in moto."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from agent_runtime.store import schema
from infra.config import StackConfig


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        string = dynamodb.AttributeType.STRING
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=schema.PARTITION_KEY, type=string),
            sort_key=dynamodb.Attribute(name=schema.SORT_KEY, type=string),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            stream=dynamodb.StreamViewType[schema.STREAM_VIEW],
            # AWS-owned key: encrypted at rest with no KMS key or request charges in the account.
            encryption=dynamodb.TableEncryption.DEFAULT,
            removal_policy=config.removal_policy,
            deletion_protection=config.deletion_protection,
        )
        for index in schema.INDEXES:
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.partition_key, type=string),
                sort_key=dynamodb.Attribute(name=index.sort_key, type=string),
                projection_type=dynamodb.ProjectionType[index.projection],
            )
        self.index_names = tuple(index.name for index in schema.INDEXES)

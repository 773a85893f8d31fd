"""The DynamoDB table: the same keys and GSIs the local stack creates (agent_runtime.local.cloud)."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from agent_runtime.local.cloud import TABLE_GSIS
from infra.config import StackConfig

# Every GSI sorts by this attribute, as in the local stack.
GSI_SORT_KEY = "created_key"
TTL_ATTRIBUTE = "expires_at"


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        string = dynamodb.AttributeType.STRING
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="PK", type=string),
            sort_key=dynamodb.Attribute(name="SK", type=string),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            # AWS-owned key: encrypted at rest with no KMS key or request charges in the account.
            encryption=dynamodb.TableEncryption.DEFAULT,
            removal_policy=config.removal_policy,
            deletion_protection=config.deletion_protection,
        )
        for index, partition_key in TABLE_GSIS:
            self.table.add_global_secondary_index(
                index_name=index,
                partition_key=dynamodb.Attribute(name=partition_key, type=string),
                sort_key=dynamodb.Attribute(name=GSI_SORT_KEY, type=string),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        self.index_names = tuple(index for index, _ in TABLE_GSIS)

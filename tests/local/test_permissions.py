"""The local stack holds each function to its manifest grants, as IAM does in the cloud."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from agent_runtime import aws
from agent_runtime_local import permissions
from agent_runtime_local.cloud import Resources
from functions import manifest


def test_a_call_outside_the_functions_grants_is_refused_as_aws_would(cloud: Resources) -> None:
    # Given a function granted only table reads (list_runs) whose code writes to the table
    spec = manifest.by_name("list_runs")
    assert manifest.Grant.TABLE_WRITE not in spec.grants

    key = {"PK": {"S": "permissions-test"}, "SK": {"S": "x"}}

    def writes(event: Any, context: Any) -> Any:
        return aws.dynamodb().put_item(TableName=cloud.table, Item=key)

    # When it runs as that function
    with pytest.raises(ClientError) as refused:
        permissions.as_function(spec, writes)({}, None)
    # Then the call is refused with AWS's error, recorded, and the item was not written
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:PutItem" in refused.value.response["Error"]["Message"]
    assert permissions.denied[-1] == permissions.Denial("list_runs", "dynamodb:PutItem", "PutItem")
    permissions.denied.pop()  # expected here; the session asserts that no other call was refused
    item = aws.dynamodb().get_item(
        TableName=cloud.table, Key={"PK": {"S": "permissions-test"}, "SK": {"S": "x"}}
    )
    assert "Item" not in item
    # And the same call outside any function (the local stack's own setup) is not checked
    aws.dynamodb().get_item(TableName=cloud.table, Key={"PK": {"S": "permissions-test"}, "SK": {"S": "x"}})


def test_transactions_need_the_action_of_each_item_kind() -> None:
    items = [{"Put": {}}, {"Update": {}}, {"ConditionCheck": {}}, {"Update": {}}]
    assert permissions.required_actions("dynamodb", "TransactWriteItems", {"TransactItems": items}) == (
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    )
    assert permissions.required_actions("states", "SendTaskFailure", {}) == ("states:SendTaskFailure",)
    assert permissions.required_actions("s3", "HeadObject", {}) == ("s3:GetObject",)


def test_every_grant_has_its_iam_actions() -> None:
    assert set(manifest.GRANT_ACTIONS) == set(manifest.Grant)
    assert all(manifest.GRANT_ACTIONS[grant] for grant in manifest.Grant)

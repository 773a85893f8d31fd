"""The local stack routes Lambda invocations through a private moto hook. If moto changes it, fail here,
loudly, rather than with confusing errors everywhere else."""

from __future__ import annotations

import inspect
import json
import uuid
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto.awslambda.models import LambdaFunction

from agent_runtime_local import lambda_bridge, moto_patches
from agent_runtime_local.cloud import ACCOUNT, REGION, TABLE, Resources


def test_moto_is_the_pinned_minor_version() -> None:
    assert moto.__version__.startswith("5.2."), "the Lambda hook is verified against moto 5.2.x only"


def test_hook_is_installed_with_the_expected_signature(cloud: Resources) -> None:
    hook = getattr(LambdaFunction, lambda_bridge.HOOK_NAME)
    assert list(inspect.signature(hook).parameters) == ["self", "event"]
    assert hook.__module__ == lambda_bridge.__name__


def test_lambda_invoke_reaches_our_handler_in_process(cloud: Resources) -> None:
    # Given a run id that does not exist
    client = boto3.client("lambda", region_name=REGION)
    # When the step worker is invoked through the Lambda API
    response = client.invoke(
        FunctionName="step_worker",
        Payload=json.dumps({"action": "execute", "run_id": "no-such-run", "tenant_id": "x"}).encode(),
    )
    # Then our handler ran and its exception came back the way Lambda reports function errors
    assert response.get("FunctionError") == "Handled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "NotFound"
    assert "no-such-run" in error["errorMessage"]


def _table_state(backend: Any) -> tuple[Any, dict[str, Any], int]:
    table = backend.tables[TABLE]
    items = {
        f"{h.value}/{r.value}": item.to_json()
        for h, by_range in table.items.items()
        if str(h.value).startswith("moto-patch#")
        for r, item in by_range.items()
    }
    return table, items, len(table.stream_shard.items)


def test_a_cancelled_transaction_restores_the_items_and_stream_without_copying_the_table(
    cloud: Resources,
) -> None:
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[ACCOUNT][REGION]
    client = boto3.client("dynamodb", region_name=REGION)
    pk = f"moto-patch#{uuid.uuid4().hex}"

    def key(sk: str) -> dict[str, Any]:
        return {"PK": {"S": pk}, "SK": {"S": sk}}

    with moto_patches.moto_lock:  # no other thread writes to moto meanwhile
        # Given items a (v=1) and c
        client.put_item(TableName=TABLE, Item={**key("a"), "v": {"N": "1"}})
        client.put_item(TableName=TABLE, Item=key("c"))
        table, before, stream_length = _table_state(backend)
        # When a transaction updates a, puts b and deletes c, and then fails a condition on d
        with pytest.raises(ClientError) as cancelled:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": key("a"),
                            "UpdateExpression": "SET v = :two",
                            "ExpressionAttributeValues": {":two": {"N": "2"}},
                        }
                    },
                    {"Put": {"TableName": TABLE, "Item": key("b")}},
                    {"Delete": {"TableName": TABLE, "Key": key("c")}},
                    {
                        "ConditionCheck": {
                            "TableName": TABLE,
                            "Key": key("d"),
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                ]
            )
        assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
        # Then the items and the stream are as they were, and the table was not swapped for a copy
        after_table, after, after_stream = _table_state(backend)
        assert after_table is table
        assert (after, after_stream) == (before, stream_length)
        # And a transaction that succeeds applies every write and streams each one
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": key("b")}},
                {"Delete": {"TableName": TABLE, "Key": key("c")}},
            ]
        )
        _, applied, applied_stream = _table_state(backend)
        assert sorted(applied) == [f"{pk}/a", f"{pk}/b"]
        assert applied_stream == stream_length + 2


def test_step_functions_reuse_one_lambda_client(cloud: Resources) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    client_for = lambda_eval_utils.boto_client_for  # type: ignore[attr-defined]
    assert client_for(REGION, "lambda") is client_for(REGION, "lambda", None)

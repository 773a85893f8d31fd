"""moto_direct answers DynamoDB's item calls in process, and the caller can't tell: every operation it
takes, with every attribute type, option and error below, gives the same response (or raises the same
error with the same fields) as the same call over moto's HTTP path; it sends nothing, the caller owns
what it gets, and the hooks the rest of the stack relies on still fire."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from agent_runtime import aws
from agent_runtime_local import moto_direct, moto_patches
from agent_runtime_local.cloud import REGION, TABLE, Resources
from tests.conftest import SeenHere

EVERY_TYPE: dict[str, Any] = {
    "s": {"S": "text"},
    "empty_s": {"S": ""},
    "n": {"N": "12.50"},
    "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "m": {"M": {"inner": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}, {"N": "-3"}]}}},
    "empty_m": {"M": {}},
    "empty_l": {"L": []},
    "yes": {"BOOL": True},
}

Outcome = tuple[Any, ...]


def _key(prefix: str, sort: str) -> dict[str, Any]:
    return {"PK": {"S": prefix}, "SK": {"S": sort}}


def _outcome(call: Callable[[], dict[str, Any]]) -> Outcome:
    """What a caller sees of one call: the response, or the error's class, status and fields."""
    try:
        response = call()
    except ClientError as error:
        fields = {k: v for k, v in error.response.items() if k != "ResponseMetadata"}
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        return ("error", type(error).__name__, status, fields, str(error))
    except ParamValidationError as error:
        return ("invalid", str(error))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    return ("ok", {k: v for k, v in response.items() if k != "ResponseMetadata"})


def _scenario(client: Any, prefix: str, table: str) -> list[Outcome]:
    """Every direct operation with the options the runtime uses and those it might, on a table of the
    run's own (so the two clients' runs meet nothing, and a scan counts the same)."""
    p = prefix
    put_one = {"TableName": table, "Item": {**_key(p, "ONE"), **EVERY_TYPE}}
    calls: list[Callable[[], dict[str, Any]]] = [
        lambda: client.put_item(**put_one),
        lambda: client.put_item(**put_one, ReturnValues="ALL_OLD", ReturnConsumedCapacity="TOTAL"),
        lambda: client.get_item(TableName=table, Key=_key(p, "ONE"), ConsistentRead=True),
        lambda: client.get_item(TableName=table, Key=_key(p, "NONE")),
        lambda: client.get_item(
            TableName=table,
            Key=_key(p, "ONE"),
            ProjectionExpression="#s, m.inner[1], bs",
            ExpressionAttributeNames={"#s": "s"},
            ReturnConsumedCapacity="INDEXES",
        ),
        lambda: client.update_item(
            TableName=table,
            Key=_key(p, "ONE"),
            UpdateExpression="SET n = n + :d, m.added = :m REMOVE empty_l ADD ns :ns",
            ExpressionAttributeValues={
                ":d": {"N": "1"},
                ":m": {"M": {"k": {"B": b"\x07"}}},
                ":ns": {"NS": ["9"]},
            },
            ReturnValues="ALL_NEW",
        ),
        lambda: client.update_item(
            TableName=table,
            Key=_key(p, "ONE"),
            UpdateExpression="SET s = :s",
            ExpressionAttributeValues={":s": {"S": "changed"}},
            ReturnValues="UPDATED_OLD",
        ),
        lambda: client.update_item(  # a failed condition, returning the item as it is
            TableName=table,
            Key=_key(p, "ONE"),
            UpdateExpression="SET s = :s",
            ConditionExpression="attribute_not_exists(PK)",
            ExpressionAttributeValues={":s": {"S": "never"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
        lambda: client.update_item(  # a failed condition, returning nothing
            TableName=table,
            Key=_key(p, "ONE"),
            UpdateExpression="SET s = :s",
            ConditionExpression="s = :other",
            ExpressionAttributeValues={":s": {"S": "never"}, ":other": {"S": "other"}},
        ),
        lambda: client.update_item(  # moto's validation of an expression
            TableName=table, Key=_key(p, "ONE"), UpdateExpression="SET = broken"
        ),
        lambda: client.update_item(  # botocore's validation, before anything is sent
            TableName=table, Key=_key(p, "ONE"), UpdateExpression=7
        ),
        lambda: client.get_item(TableName="no-such-table", Key=_key(p, "ONE")),
        lambda: client.get_item(TableName=table, Key={"PK": {"S": p}}),  # half a key
        lambda: client.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": {**_key(p, f"ITEM#{n:02}"), "n": {"N": f"{n}"}, "b": {"B": b""}}}}
                    for n in range(12)
                ]
                + [{"DeleteRequest": {"Key": _key(p, "NONE")}}]
            },
            ReturnConsumedCapacity="TOTAL",
        ),
        lambda: client.batch_get_item(
            RequestItems={
                table: {
                    "Keys": [_key(p, "ITEM#03"), _key(p, "ITEM#01"), _key(p, "NONE")],
                    "ConsistentRead": True,
                }
            }
        ),
        lambda: client.query(
            TableName=table,
            KeyConditionExpression="PK = :p AND begins_with(SK, :s)",
            ExpressionAttributeValues={":p": {"S": p}, ":s": {"S": "ITEM#"}},
            Limit=5,
            ScanIndexForward=False,
            ReturnConsumedCapacity="TOTAL",
        ),
        lambda: client.query(
            TableName=table,
            KeyConditionExpression="PK = :p",
            FilterExpression="n > :three",
            ExpressionAttributeValues={":p": {"S": p}, ":three": {"N": "3"}},
            ExclusiveStartKey=_key(p, "ITEM#04"),
        ),
        lambda: client.query(
            TableName=table,
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues={":p": {"S": p}},
            Select="COUNT",
        ),
        lambda: client.scan(
            TableName=table,
            FilterExpression="PK = :p AND n < :four",
            ExpressionAttributeValues={":p": {"S": p}, ":four": {"N": "4"}},
            ProjectionExpression="SK, n",
        ),
        lambda: client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**_key(p, "T1"), "v": {"N": "1"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key(p, "ONE"),
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "t"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key(p, "ITEM#00"),
                        "ConditionExpression": "n = :z",
                        "ExpressionAttributeValues": {":z": {"N": "0"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": _key(p, "ITEM#11")}},
            ],
            ReturnConsumedCapacity="TOTAL",
        ),
        lambda: client.transact_write_items(  # cancelled: its reasons, with the item that failed
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**_key(p, "T2"), "v": {"N": "2"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {**_key(p, "T1"), "v": {"N": "3"}},
                        "ConditionExpression": "attribute_not_exists(PK)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        ),
        lambda: client.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": table, "Key": _key(p, "T1")}},
                {"Get": {"TableName": table, "Key": _key(p, "T2")}},
                {"Get": {"TableName": table, "Key": _key(p, "ONE"), "ProjectionExpression": "v, b"}},
            ]
        ),
        lambda: client.delete_item(TableName=table, Key=_key(p, "ONE"), ReturnValues="ALL_OLD"),
        lambda: client.delete_item(
            TableName=table, Key=_key(p, "ONE"), ConditionExpression="attribute_exists(PK)"
        ),
    ]
    return [_outcome(call) for call in calls]


def _neutral(outcomes: list[Outcome], run: str) -> list[str]:
    neutral = (json.dumps(outcome, default=repr, sort_keys=True) for outcome in outcomes)
    return [text.replace(run, "<run>") for text in neutral]


@contextmanager
def _tables(*names: str) -> Iterator[None]:
    """Tables of the local stack's key schema, made and dropped over moto's HTTP path."""
    client = boto3.client("dynamodb", region_name=REGION)
    for name in names:
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in (("PK", "HASH"), ("SK", "RANGE"))],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("PK", "SK")],
            BillingMode="PAY_PER_REQUEST",
        )
    try:
        yield
    finally:
        for name in names:
            client.delete_table(TableName=name)


@contextmanager
def _sends(*clients: Any) -> Iterator[list[list[str]]]:
    """The operations each client sends over moto's HTTP path from this thread, while the block runs."""
    sent: list[list[str]] = [SeenHere() for _ in clients]
    recorders = []
    for client, into in zip(clients, sent, strict=True):

        def record(event_name: str, into: list[str] = into, **_: Any) -> None:
            into.append(event_name.rsplit(".", 1)[-1])

        client.meta.events.register_first("before-send", record)
        recorders.append((client, record))
    try:
        yield sent
    finally:
        for client, record in recorders:
            client.meta.events.unregister("before-send", record)


def test_every_direct_operation_answers_as_moto_does_over_http(cloud: Resources) -> None:
    # Given the runtime's client (answered in process) and a plain client (moto over HTTP)
    direct, plain = aws.dynamodb(), boto3.client("dynamodb", region_name=REGION)
    a, b = f"{uuid.uuid4()}", f"{uuid.uuid4()}"
    # When each runs the same calls on a table of its own
    with _tables(f"direct-{a}", f"direct-{b}"), _sends(direct, plain) as (direct_sends, plain_sends):
        over_http = _scenario(plain, f"DIRECT#{a}", f"direct-{a}")
        in_process = _scenario(direct, f"DIRECT#{b}", f"direct-{b}")
    # Then each call's outcome is the same, and the scenario covered successes and errors of both kinds
    assert _neutral(in_process, b) == _neutral(over_http, a)
    kinds = [outcome[0] for outcome in in_process]
    assert kinds.count("ok") >= 15 and kinds.count("error") >= 6 and kinds.count("invalid") == 1
    codes = {outcome[3]["Error"]["Code"] for outcome in in_process if outcome[0] == "error"}
    assert {"ConditionalCheckFailedException", "TransactionCanceledException", "ValidationException"} <= codes
    assert "ResourceNotFoundException" in codes
    # And the direct client sent nothing, while the plain one sent each call botocore let through
    assert direct_sends == []
    assert len(plain_sends) == len(in_process) - 1


def test_what_the_caller_gets_is_its_own(cloud: Resources) -> None:
    # Given an item with nested lists and maps
    client = aws.dynamodb()
    key = _key(f"DIRECT#{uuid.uuid4()}", "OWN")
    client.put_item(TableName=TABLE, Item={**key, **EVERY_TYPE})
    # When the caller changes what a read gave it
    item = client.get_item(TableName=TABLE, Key=key)["Item"]
    item["m"]["M"]["inner"]["L"].append({"S": "mine"})
    item["ss"]["SS"].append("c")
    item["empty_m"]["M"]["k"] = {"S": "v"}
    # Then the stored item is as written
    assert client.get_item(TableName=TABLE, Key=key)["Item"] == {**key, **EVERY_TYPE}


def test_the_stack_hooks_still_hear_each_direct_call(cloud: Resources) -> None:
    # Given listeners on the events the journal, faults and run notifications use
    client = aws.dynamodb()
    heard = SeenHere()

    def listen(event_name: str, **kwargs: Any) -> None:
        status = kwargs["http_response"].status_code if "http_response" in kwargs else ""
        heard.append(f"{event_name.split('.')[0]}{status}")

    # registered as the journal, the faults and the grants are (on the plain events) and as the run
    # notifications are (on the operation's own); botocore calls the more specific ones first
    for event in ("before-parameter-build", "before-call", "after-call", "after-call.dynamodb.PutItem"):
        client.meta.events.register(event, listen)
    committed: list[tuple[str, int]] = []
    answered: list[str] = []
    previous = moto_patches.write_committed
    moto_patches.write_committed = lambda name, status: committed.append((name, status))
    moto_patches.answered.append(answered.append)
    key = _key(f"DIRECT#{uuid.uuid4()}", "HOOKS")
    try:
        # When a write succeeds, then one fails its condition
        client.put_item(TableName=TABLE, Item=key)
        with pytest.raises(ClientError):
            client.put_item(TableName=TABLE, Item=key, ConditionExpression="attribute_not_exists(PK)")
    finally:
        moto_patches.write_committed = previous
        moto_patches.answered.remove(answered.append)
        for event in ("before-parameter-build", "before-call", "after-call", "after-call.dynamodb.PutItem"):
            client.meta.events.unregister(event, listen)
    # Then both passed every hook, with their statuses, as an HTTP call does
    each = ["before-parameter-build", "before-call", "after-call{0}", "after-call{0}"]
    assert heard == [event.format(200) for event in each] + [event.format(400) for event in each]
    assert ("before-send.dynamodb.PutItem", 200) in committed
    assert ("before-send.dynamodb.PutItem", 400) in committed
    assert answered.count("before-send.dynamodb.PutItem") >= 2


def test_table_calls_still_go_over_http(cloud: Resources) -> None:
    client = aws.dynamodb()
    with _sends(client) as (sent,):
        assert client.describe_table(TableName=TABLE)["Table"]["TableName"] == TABLE
    assert sent == ["DescribeTable"]
    assert "DescribeTable" not in moto_direct.DIRECT_OPERATIONS


def test_no_direct_answer_holds_a_type_moto_keeps_otherwise_than_botocore_parses() -> None:
    # moto holds timestamps naive where botocore parses them aware, and blobs outside an attribute
    # value are not checked above: the direct operations' outputs must have neither.
    model = boto3.client("dynamodb", region_name=REGION).meta.service_model
    found: set[str] = set()

    def walk(shape: Any, seen: set[str]) -> None:
        if shape.name in seen or shape.name == "AttributeValue":
            return
        seen.add(shape.name)
        found.add(shape.type_name)
        for child in list(getattr(shape, "members", {}).values()) + [
            getattr(shape, name) for name in ("member", "value") if hasattr(shape, name)
        ]:
            walk(child, seen)

    for operation in moto_direct.DIRECT_OPERATIONS:
        walk(model.operation_model(operation).output_shape, set())
    assert found & {"timestamp", "blob"} == set()
    assert {"structure", "map", "list", "string", "double"} <= found


def test_a_client_of_another_endpoint_is_not_answered_here(cloud: Resources) -> None:
    # Given a DynamoDB client pointed elsewhere (DynamoDB Local, say), watched as the stack watches
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url="http://127.0.0.1:9")
    moto_direct.watch(client)

    class Sent(Exception):
        pass

    def refuse(**_: Any) -> None:
        raise Sent

    client.meta.events.register_first("before-send", refuse)
    # When it reads an item, then the call goes out to its endpoint instead of moto's table
    with pytest.raises(Sent):
        client.get_item(TableName=TABLE, Key=_key("DIRECT#elsewhere", "ITEM"))

"""Repositories take their clients: the shape of the calls a commit makes, pinned with botocore's
Stubber (no moto, no network)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from agent_runtime.store.dynamo import Table, from_item, to_item
from agent_runtime.store.errors import ChangedMeanwhile, EntryConditionFailed
from agent_runtime.store.event_items import EventItems, NewEvent
from agent_runtime.store.payloads import Payloads
from agent_runtime.store.run_items import UNVERSIONED_FIELDS, RunItems, RunRecord, record_from

TABLE = "t"


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def runs(client: Any) -> RunItems:
    table = Table(client, TABLE)
    # No S3 call: event data this small stays inline.
    return RunItems(table, EventItems(table, Payloads(None, "bucket", 64 * 1024)))  # type: ignore[arg-type]


def run_item(status: str = "running", version: int = 3, event_seq: int = 5) -> dict[str, Any]:
    return to_item(
        {
            "PK": "RUN#r1", "SK": "META", "run_id": "r1", "tenant_id": "acme", "status": status,
            "workflow_name": "echo", "workflow_version": "0.1.0", "schema_hash": "h", "input": "{}",
            "config": "{}", "metadata": "{}", "callback_url": None, "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z", "version": version, "event_seq": event_seq,
        }
    )  # fmt: skip


def expect_get(stubber: Stubber, item: dict[str, Any]) -> None:
    stubber.add_response(
        "get_item",
        {"Item": item},
        {"TableName": TABLE, "Key": to_item({"PK": "RUN#r1", "SK": "META"}), "ConsistentRead": True},
    )


def test_a_commit_is_one_transaction_guarded_by_the_version_with_its_events_in_one_page(
    dynamodb: Any,
) -> None:
    client, stubber = dynamodb
    expect_get(stubber, run_item())
    captured: dict[str, Any] = {}

    def capture(params: dict[str, Any], **_: Any) -> None:
        captured.update(params)

    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", capture)
    stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})
    new = runs(client).commit(
        "r1", events=[NewEvent("a", {"n": 1}), NewEvent("b")], expect_status={"running"}
    )
    update, page = captured["TransactItems"]
    assert update["Update"]["ConditionExpression"] == "#version = :expected_version"
    assert update["Update"]["ExpressionAttributeValues"][":expected_version"] == {"N": "3"}
    # Both events in one page item keyed by its first id, written once.
    assert page["Put"]["Item"]["SK"] == {"S": "EVT#000000000006"}
    assert (page["Put"]["Item"]["first"], page["Put"]["Item"]["last"]) == ({"N": "6"}, {"N": "7"})
    assert page["Put"]["ConditionExpression"] == "attribute_not_exists(PK)"
    assert (new.version, new.event_seq) == (4, 7)


def test_a_commit_on_a_run_in_another_status_writes_nothing(dynamodb: Any) -> None:
    client, stubber = dynamodb
    expect_get(stubber, run_item(status="cancelled"))
    with pytest.raises(ChangedMeanwhile) as raised:
        runs(client).commit("r1", events=[NewEvent("a")], expect_status={"running"})
    assert raised.value.current.status == "cancelled"


def test_a_failed_condition_on_an_extra_entry_names_that_entry(dynamodb: Any) -> None:
    client, stubber = dynamodb
    expect_get(stubber, run_item())
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        response_meta={},
        modeled_fields={
            "CancellationReasons": [{"Code": "None"}, {"Code": "None"}, {"Code": "ConditionalCheckFailed"}]
        },
    )
    extra = Table(client, TABLE).put_entry(
        {"PK": "RUN#r1", "SK": "CKPT#c"}, condition="attribute_not_exists(PK)"
    )
    with pytest.raises(EntryConditionFailed) as raised:
        runs(client).commit("r1", events=[NewEvent("a")], extra_entries=[extra])
    assert raised.value.index == 0


def seen_run(status: str = "running", version: int = 3, event_seq: int = 5, **fields: Any) -> RunRecord:
    values = {
        k: v for k, v in from_item(run_item(status, version, event_seq)).items() if k not in ("PK", "SK")
    }
    return record_from({**values, **fields})


def guard_fails(stubber: Stubber, *codes: str) -> None:
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        response_meta={},
        modeled_fields={"CancellationReasons": [{"Code": code} for code in codes]},
    )


def test_a_commit_given_the_run_it_holds_makes_no_read(dynamodb: Any) -> None:
    client, stubber = dynamodb
    stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})  # and nothing else
    new = runs(client).commit(
        "r1",
        events=[NewEvent("a")],
        expect_status={"running"},
        expect={"next_step": 0},
        seen=seen_run(),
    )
    assert (new.version, new.event_seq) == (4, 6)
    assert new.usage()["read_units"] == 0  # no read made, none billed


def test_a_held_run_that_moved_on_fails_the_guard_then_the_commit_reads_it_and_decides_again(
    dynamodb: Any,
) -> None:
    client, stubber = dynamodb
    # The version guard fails (index 0), and so does the event page, taken meanwhile (index 1).
    guard_fails(stubber, "ConditionalCheckFailed", "ConditionalCheckFailed")
    expect_get(stubber, run_item(version=5, event_seq=7))
    stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})
    new = runs(client).commit("r1", events=[NewEvent("a")], expect_status={"running"}, seen=seen_run())
    assert (new.version, new.event_seq) == (6, 8)


def test_an_extra_entry_failing_beside_a_stale_guard_is_judged_on_the_run_as_it_is(dynamodb: Any) -> None:
    client, stubber = dynamodb
    guard_fails(stubber, "ConditionalCheckFailed", "None", "ConditionalCheckFailed")
    expect_get(stubber, run_item(status="cancelled", version=4))
    extra = Table(client, TABLE).put_entry(
        {"PK": "RUN#r1", "SK": "CKPT#c"}, condition="attribute_not_exists(PK)"
    )
    # Not EntryConditionFailed: the run was cancelled meanwhile, and that is what the caller hears.
    with pytest.raises(ChangedMeanwhile) as raised:
        runs(client).commit(
            "r1", events=[NewEvent("a")], expect_status={"running"}, extra_entries=[extra], seen=seen_run()
        )
    assert raised.value.current.status == "cancelled"


def test_a_held_run_that_fails_the_expectations_is_read_again_before_refusing(dynamodb: Any) -> None:
    client, stubber = dynamodb
    expect_get(stubber, run_item(status="running", version=4))  # queued when held; running now
    stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})
    new = runs(client).commit("r1", expect_status={"running"}, seen=seen_run(status="queued"))
    assert new.version == 5


@pytest.mark.parametrize("field", sorted(UNVERSIONED_FIELDS))
def test_a_commit_that_expects_a_field_written_without_the_version_reads_the_run(
    dynamodb: Any, field: str
) -> None:
    client, stubber = dynamodb
    expect_get(stubber, run_item())
    stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})
    held = seen_run()
    runs(client).commit("r1", expect={field: getattr(held, field)}, seen=held)


def test_a_run_record_holds_only_flat_values_so_its_item_is_a_shallow_copy() -> None:
    # RunItems._meta copies the record's fields with vars(), not asdict(): a list, dict or nested
    # dataclass field would be shared with the item written, and this would have to change.
    assert {f.type for f in fields(RunRecord)} <= {"str", "int", "str | None", "int | None"}


def test_a_wake_is_one_write_that_brings_back_the_parked_token(dynamodb: Any) -> None:
    client, stubber = dynamodb
    parked = {**run_item(), **to_item({"wake_token": "tok", "wake_marker": "m2"})}
    stubber.add_response(
        "update_item",
        {"Attributes": parked},
        {
            "TableName": TABLE,
            "Key": to_item({"PK": "RUN#r1", "SK": "META"}),
            "UpdateExpression": "SET wake_marker = :marker",
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": ANY,
            "ReturnValues": "ALL_NEW",
        },
    )  # and no read after it
    assert runs(client).wake("r1") == "tok"


def test_a_park_is_one_write_that_brings_back_the_run_it_left(dynamodb: Any) -> None:
    client, stubber = dynamodb
    stubber.add_response(
        "update_item",
        {"Attributes": {**run_item(status="cancelled"), **to_item({"wake_token": "tok"})}},
        {
            "TableName": TABLE,
            "Key": to_item({"PK": "RUN#r1", "SK": "META"}),
            "UpdateExpression": "SET wake_token = :token",
            "ConditionExpression": "attribute_not_exists(wake_marker)",
            "ExpressionAttributeValues": ANY,
            "ReturnValues": "ALL_NEW",
        },
    )
    parked = runs(client).park("r1", None, "tok")
    # A run cancelled meanwhile reads as such from the write itself (Lifecycle.hold then aborts).
    assert parked is not None and (parked.status, parked.wake_token) == ("cancelled", "tok")

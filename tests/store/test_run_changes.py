"""store/run_changes.py: a run's watchers hear each committed write of its item from the DynamoDB
client's own events, and nothing else."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import MockAWS

from agent_runtime.store import keys
from agent_runtime.store.run_changes import Notified
from tests.engine.conftest import REGION, TABLE, create_table


def test_a_watcher_waiting_is_woken_by_a_write_of_its_run() -> None:
    changes = Notified()
    heard: list[bool] = []
    ready = threading.Event()

    def watcher() -> None:
        with changes.watch("r1") as watch:
            ready.set()
            heard.append(watch.wait(30))

    thread = threading.Thread(target=watcher)
    thread.start()
    ready.wait(5)
    # When another thread's client writes the run
    changes.written(["r1"])
    # Then the wait ends then, not 30 s later, and says it heard it
    thread.join(5)
    assert not thread.is_alive() and heard == [True]


def test_a_write_between_a_read_and_the_wait_is_not_lost() -> None:
    changes = Notified()
    with changes.watch("r1") as watch:
        changes.written(["r1"])  # e.g. while the waiter was reading the run
        assert watch.wait(30) is True  # returns at once
        assert watch.wait(0.01) is False  # heard once, not again


def test_writes_of_other_runs_and_unwatched_runs_wake_no_one() -> None:
    changes = Notified()
    changes.written(["r1"])  # nobody watches it: not even counted
    with changes.watch("r1") as watch:
        changes.written(["r2"])
        assert watch.wait(0.01) is False
    assert changes._writes == {} and changes._watchers == {}


@pytest.fixture
def client() -> Iterator[Any]:
    if MockAWS._nested_count:
        pytest.fail("a fresh moto of its own: run before the session's local stack (tests/conftest.py)")
    with mock_aws():
        dynamodb = boto3.client(
            "dynamodb", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        create_table(dynamodb)
        yield dynamodb


def test_a_client_observed_reports_the_runs_it_commits_and_not_what_it_refused(client: Any) -> None:
    changes = Notified()
    changes.observe(client)
    run = {name: {"S": value} for name, value in keys.run("r1").items()}
    event = {"PK": {"S": "RUN#r1"}, "SK": {"S": "EVENT#0001"}}
    with changes.watch("r1") as watch:
        # a transaction that writes the run's item
        client.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": {**run}}}])
        assert watch.wait(0) is True
        # an item of the run's that is not the run's own
        client.put_item(TableName=TABLE, Item=event)
        assert watch.wait(0) is False
        # an update of the run's item
        client.update_item(
            TableName=TABLE,
            Key=run,
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "running"}},
        )
        assert watch.wait(0) is True
        # a write the table refused
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(TableName=TABLE, Item=run, ConditionExpression="attribute_not_exists(PK)")
        assert watch.wait(0) is False

"""The local stack leaves out of memory what it never uses and holds once what it would hold many
times (local/agent_runtime_local/memory.py): moto's EC2 instance type tables are not loaded (checked in
a process of its own, as `agent-runtime dev` starts), boto3 sessions share one data loader, stream
records are held pickled, and what start-up leaves alive is frozen out of the cyclic collector's walks."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import boto3
import pytest

from agent_runtime_local.cloud import Resources

PROBE = """
import json
from agent_runtime_local.cloud import LocalCloud
from moto.utilities.utils import load_resource

with LocalCloud():
    from moto.ec2.models import instance_types
    print(json.dumps({
        "instance_types": len(instance_types.INSTANCE_TYPES),
        "offerings": sum(len(o) for z in instance_types.INSTANCE_TYPE_OFFERINGS.values() for o in z.values()),
        "amis": len(load_resource("ec2/resources/amis.json")),
    }))
"""


@pytest.fixture(scope="module")
def started() -> dict[str, Any]:
    """What the local stack's start-up leaves, in a fresh process of its own."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_moto_ec2_instance_tables_are_not_loaded_and_other_resources_are(started: dict[str, Any]) -> None:
    # When the local stack starts in a fresh process
    loaded = started
    # Then moto's EC2 instance types and offerings are empty, and its other resources load as they are
    assert (loaded["instance_types"], loaded["offerings"]) == (0, 0)
    assert loaded["amis"] > 0


def test_boto3_sessions_share_one_data_loader_and_so_their_service_models(cloud: Resources) -> None:
    # Given two sessions, as the runtime's clients and moto's backends each make their own
    first, second = boto3.session.Session(), boto3.session.Session()
    # Then they hold one data loader, and a service model parsed for one is the other's
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    model = loader.load_service_model("dynamodb", "service-2")
    assert second._session.get_component("data_loader").load_service_model("dynamodb", "service-2") is model


def test_stream_records_are_held_packed_and_read_back_as_moto_builds_them(cloud: Resources) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import StreamRecord

    from agent_runtime_local.cloud import ACCOUNT, REGION, TABLE

    # Given an item's old and new images with attributes of several types
    table = dynamodb_backends[ACCOUNT][REGION].get_table(TABLE)
    key = {"PK": {"S": "PACKED#1"}, "SK": {"S": "ITEM"}}
    hash_key, range_key = DynamoType(key["PK"]), DynamoType(key["SK"])
    old = Item(hash_key, range_key, {**key, "n": {"N": "1"}, "b": {"B": b"\x00\x01"}})
    new = Item(hash_key, range_key, {**key, "n": {"N": "2"}, "l": {"L": [{"S": "x"}, {"NULL": True}]}})
    # When moto's record and the packed one are made of them
    packed: Any = StreamRecord(table, "NEW_AND_OLD_IMAGES", "MODIFY", old, new, 7)
    plain: Any = StreamRecord.__new__(StreamRecord)
    StreamRecord.__init__._original(plain, table, "NEW_AND_OLD_IMAGES", "MODIFY", old, new, 7)  # type: ignore[attr-defined]
    # Then the packed one holds bytes, not moto's dicts
    assert "record" not in vars(packed) and isinstance(packed.packed, bytes)
    # And it reads back as moto's, but for what moto makes afresh per record: its id, its time, and the
    # size moto counts with that time in it (a time on a whole second is written shorter)
    read, built = packed.to_json(), plain.record  # moto's to_json returns its `record`
    for record in (read, built):
        record.pop("eventID")
        record["dynamodb"].pop("ApproximateCreationDateTime")
        record["dynamodb"].pop("SizeBytes")
    assert read == built
    # And each read is a copy of its own
    packed.to_json()["dynamodb"]["NewImage"].clear()
    assert packed.to_json()["dynamodb"]["NewImage"]


def test_start_up_objects_are_frozen_out_of_the_collector_and_later_garbage_is_collected(
    cloud: Resources,
) -> None:
    import gc
    import weakref

    from moto.dynamodb.models import dynamodb_backends

    # Given a started local stack: moto's backends (start-up state) are out of the collector's walks
    assert gc.get_freeze_count() > 100_000
    assert gc.is_tracked(dynamodb_backends)
    assert all(tracked is not dynamodb_backends for tracked in gc.get_objects())

    # When a cycle made afterwards becomes garbage
    class Node:
        other: object = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    del first, second
    gc.collect()
    # Then the collector still frees it
    assert gone() is None


def test_the_youngest_generation_is_collected_less_often(cloud: Resources) -> None:
    import gc

    from agent_runtime_local import memory

    assert gc.get_threshold()[0] == memory.YOUNG_THRESHOLD > 700


def test_moto_registers_only_the_models_it_reads_the_register_of(cloud: Resources) -> None:
    import weakref

    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.s3.models import FakeKey

    # When a DynamoDB item is made and dropped, and an S3 key is made
    key = DynamoType({"S": "REGISTER#1"})
    item = Item(key, None, {"PK": {"S": "REGISTER#1"}})
    gone = weakref.ref(item)
    del item
    s3_key = FakeKey("key", b"value", account_id="123456789012", region_name="us-east-1")
    # Then nothing holds the item any more, and the S3 key is in the register moto closes buffers from
    assert gone() is None
    assert any(tracked is s3_key for tracked in FakeKey.instances_tracked)  # type: ignore[attr-defined]

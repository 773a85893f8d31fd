"""moto_patches' caches (response member names, state machine parse trees, JSONPaths) change what the
local stack costs, never what moto answers: every DynamoDB attribute type and stream record comes back
as written, and a state machine executes the same on every execution."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
from moto.core import serialize
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.utils import TMP_THREADS

from agent_runtime_local.cloud import REGION, TABLE, Resources
from tests.conftest import eventually, new_state_machine

ROOT = Path(__file__).resolve().parents[2]

EVERY_TYPE: dict[str, Any] = {
    "s": {"S": "text"},
    "n": {"N": "12.5"},
    "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "m": {"M": {"inner": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}}},
    "empty": {"M": {}},
}


def test_the_caches_are_installed(cloud: Resources) -> None:
    assert getattr(serialize.ResponseSerializer.get_value, "_cached_aliases", False)
    assert getattr(AmazonStateLanguageParser.parse, "_parse_once", False)
    assert getattr(getattr(result_path, "parse"), "_parse_once", False)  # noqa: B009 (not re-exported)


def test_items_and_stream_records_of_every_attribute_type_come_back_as_written(cloud: Resources) -> None:
    # Given an item holding every attribute type
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"SPEEDUP#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
    client.put_item(TableName=TABLE, Item={**key, **EVERY_TYPE})
    # When it is read back, twice (the second read answered from the cached names)
    reads = [client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"] for _ in range(2)]
    # Then both reads are the item as written
    assert reads[0] == reads[1] == {**key, **EVERY_TYPE}
    # And its stream record carries the same image
    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    images: list[Any] = []
    last: str | None = None
    while True:  # the session's table has many records before this one: read to the end
        # A fresh iterator per page, from the last record read (a missing iterator: read again).
        position = (
            {"ShardIteratorType": "TRIM_HORIZON"}
            if last is None
            else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
        )
        try:
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **position)["ShardIterator"]
            records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        except KeyError:
            continue
        if not records:
            break
        images += [r["dynamodb"].get("NewImage") for r in records if r["dynamodb"]["Keys"] == key]
        last = records[-1]["dynamodb"]["SequenceNumber"]
    assert images == [{**key, **EVERY_TYPE}]


def test_a_state_machine_runs_the_same_on_every_execution(cloud: Resources) -> None:
    # Given a state machine with JSONPath parameters and a result path
    definition = {
        "StartAt": "Shape",
        "States": {
            "Shape": {
                "Type": "Pass",
                "Parameters": {"value.$": "$.input.n", "tag": "fixed"},
                "ResultPath": "$.shaped",
                "End": True,
            }
        },
    }
    sfn, arn = new_state_machine("speedup", definition)
    # When it executes several times with different inputs
    outputs = []
    for n in range(3):
        execution = sfn.start_execution(
            stateMachineArn=arn, name=uuid.uuid4().hex, input=json.dumps({"input": {"n": n}})
        )["executionArn"]
        eventually(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING")  # noqa: B023
        outputs.append(json.loads(sfn.describe_execution(executionArn=execution)["output"]))
    # Then each output is computed from its own input
    assert outputs == [{"input": {"n": n}, "shaped": {"value": n, "tag": "fixed"}} for n in range(3)]


def test_each_execution_gets_a_program_of_its_own_that_is_the_one_moto_builds(cloud: Resources) -> None:
    # Given the runtime's own state machine definition, parsed once already
    definition = (ROOT / "functions" / "statemachine" / "run.asl.json").read_text()
    first, tree = AmazonStateLanguageParser.parse(definition)
    names = list(first.states.states)
    # When two more executions ask for its program
    second, third = (AmazonStateLanguageParser.parse(definition)[0] for _ in range(2))
    programs: list[Any] = [first, second, third]
    # Then each gets objects no other execution holds, with no state until the execution enters it
    assert len({id(program) for program in programs}) == 3
    assert len({id(program.states) for program in programs}) == 3
    assert second.states.states == third.states.states == {}
    entered = second._get_state(names[1])
    assert list(second.states.states) == [names[1]] and entered is not third._get_state(names[1])
    # And once every state is entered (here in the definition's order), a program is the one moto's
    # Preprocessor builds from the definition, member for member
    fourth, fifth = (AmazonStateLanguageParser.parse(definition)[0] for _ in range(2))
    for program in (fourth, fifth):
        for name in names:
            program._get_state(name)
    built = _members(Preprocessor().visit(tree))
    assert _members(fourth) == _members(fifth) == built


def _members(value: Any, path: tuple[int, ...] = ()) -> Any:
    """An object graph as nested values, member for member: two graphs built alike compare equal,
    whether or not they share an object between two places (a state unpickled on its own doesn't)."""
    if id(value) in path:
        return "(cycle)"
    inner = (*path, id(value))
    if isinstance(value, dict):
        return {repr(k): _members(v, inner) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        members = [_members(v, inner) for v in value]
        return sorted(members, key=repr) if isinstance(value, (set, frozenset)) else members
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return (type(value).__qualname__, _members(vars(value), inner))
    return repr(value)


def _reachable(root: Any) -> dict[int, Any]:
    """The objects reachable from `root` that could be changed: not strings, numbers, enum members,
    classes, functions or modules."""
    import enum
    import gc
    import types

    atoms = (str, int, float, bytes, type(None), type, enum.Enum, types.ModuleType)
    atoms += (types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    found: dict[int, Any] = {}
    pending = [root]
    while pending:
        current = pending.pop()
        if id(current) in found or isinstance(current, atoms):
            continue
        found[id(current)] = current
        pending.extend(gc.get_referents(current))
    return found


def test_a_program_s_states_share_nothing_an_execution_changes(cloud: Resources) -> None:
    """Each top-level state is unpickled on its own (moto_patches._FrozenProgram), so what two states
    shared in moto's program, each now has a copy of: only objects the interpreter never changes may
    be shared (the query language, fixed per definition; the interpreter's module and class constants)."""
    from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguage

    definition = (ROOT / "functions" / "statemachine" / "run.asl.json").read_text()
    program = Preprocessor().visit(AmazonStateLanguageParser.parse(definition)[1])
    states = dict(program.states.states)
    program.states.states = {}
    graphs = {
        "(the program's rest)": _reachable(program),
        **{name: _reachable(s) for name, s in states.items()},
    }
    constants = _interpreter_constants()
    names = list(graphs)
    for index, one in enumerate(names):
        for other in names[index + 1 :]:
            for shared in set(graphs[one]) & set(graphs[other]):
                value = graphs[one][shared]
                owner = value.get("query_language_mode") if isinstance(value, dict) else None
                assert isinstance(value, QueryLanguage) or owner is not None or shared in constants, (
                    one,
                    other,
                    value,
                )


def _interpreter_constants() -> set[int]:
    """The objects moto's interpreter holds as module or class constants (read, never changed)."""
    import sys

    modules = [m for name, m in list(sys.modules.items()) if name.startswith("moto.stepfunctions.parser")]
    found = {id(value) for module in modules for value in vars(module).values()}
    classes = [value for module in modules for value in vars(module).values() if isinstance(value, type)]
    return found | {id(value) for cls in classes for value in vars(cls).values()}


def test_the_threads_of_finished_executions_are_not_kept(cloud: Resources) -> None:
    # Given a state machine with a state that has a timeout (the interpreter gives it a thread)
    definition = {
        "StartAt": "Wait",
        "States": {"Wait": {"Type": "Wait", "Seconds": 0, "End": True}},
    }
    sfn, arn = new_state_machine("threads", definition)
    # When nine executions have run to their end one after the other, and a tenth starts
    for _ in range(9):
        execution = sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex)["executionArn"]
        eventually(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING")  # noqa: B023
    sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex)
    # Then moto's list of the threads it started holds the live ones (the session's parked runs wait in
    # theirs), not the two of each finished execution before (a last one may have been finishing)
    assert sum(not thread.is_alive() for thread in TMP_THREADS) <= 3

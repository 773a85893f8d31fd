"""moto_patches' DynamoDB speedups (each UpdateExpression parsed once, attribute values in wire form
written as they are) change what the local stack costs, never what moto answers."""

from __future__ import annotations

import functools
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import serialize
from moto.core.utils import get_service_model
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.parsing import expressions
from moto.dynamodb.parsing.validators import UpdateExpressionValidator

from agent_runtime_local import moto_patches
from agent_runtime_local.cloud import ACCOUNT, REGION, TABLE, Resources
from tests.conftest import SeenHere

UpdateExpressionParser: Any = getattr(expressions, "UpdateExpressionParser")  # noqa: B009 (untyped for mypy)
EXPRESSION = "SET #a = :a, #b = if_not_exists(#b, :zero) REMOVE #gone ADD #n :one"


def _shape(node: Any) -> Any:
    """A parse tree as nested (type, children-or-value) tuples: two trees built alike compare equal."""
    children = getattr(node, "children", None)
    if isinstance(children, list):
        return (type(node).__name__, tuple(_shape(child) for child in children))
    if hasattr(node, "__dict__"):
        return (
            type(node).__name__,
            tuple(sorted((k, repr(v)) for k, v in vars(node).items() if k != "parent")),
        )
    return repr(node)


def test_an_update_expression_is_parsed_once_and_each_validation_gets_its_own_copy(cloud: Resources) -> None:
    # Given an expression parsed twice
    first, second = UpdateExpressionParser.make(EXPRESSION), UpdateExpressionParser.make(EXPRESSION)
    # Then the second is the first (parsed once), and it is the tree moto's own parser builds
    assert second is first
    original = UpdateExpressionParser.make.__func__._original
    assert _shape(first) == _shape(original(UpdateExpressionParser, EXPRESSION))
    # And a validator works on a copy of it, never on the cached tree
    validator = UpdateExpressionValidator(
        first,
        expression_attribute_names={"#a": "a", "#b": "b", "#gone": "gone", "#n": "n"},
        expression_attribute_values={":a": {"S": "x"}, ":zero": {"N": "0"}, ":one": {"N": "1"}},
        item=None,  # type: ignore[arg-type]
        table=dynamodb_backends[ACCOUNT][REGION].get_table(TABLE),
    )
    assert validator.node_to_validate is not first
    assert _shape(validator.node_to_validate) == _shape(first)


def test_updates_with_one_expression_apply_each_their_own_values(cloud: Resources) -> None:
    # Given two items updated with the same expression text and different values
    client = boto3.client("dynamodb", region_name=REGION)
    keys = [{"PK": {"S": f"SPEEDUP#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}} for _ in range(2)]
    for index, key in enumerate(keys):
        for _ in range(2):
            client.update_item(
                TableName=TABLE,
                Key=key,
                UpdateExpression=EXPRESSION,
                ExpressionAttributeNames={"#a": "a", "#b": "b", "#gone": "gone", "#n": "n"},
                ExpressionAttributeValues={":a": {"S": f"v{index}"}, ":zero": {"N": "0"}, ":one": {"N": "1"}},
            )
    # Then each item holds its own values, and the counter counted both updates
    items = [client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"] for key in keys]
    assert items == [
        {**key, "a": {"S": f"v{i}"}, "b": {"N": "0"}, "n": {"N": "2"}} for i, key in enumerate(keys)
    ]


def test_an_expression_moto_cannot_parse_fails_every_time(cloud: Resources) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"SPEEDUP#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            client.update_item(TableName=TABLE, Key=key, UpdateExpression="SET = oops")
        assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)


ITEMS: list[dict[str, Any]] = [
    {"s": {"S": "text"}, "empty": {"S": ""}, "n": {"N": "12.5"}},
    {"null": {"NULL": True}, "yes": {"BOOL": True}, "no": {"BOOL": False}},
    {"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}},
    {"m": {"M": {"inner": {"L": [{"S": "x"}, {"NULL": True}, {"M": {}}, {"L": []}]}}}},
    {"b": {"B": b"\x00\xff"}, "bs": {"BS": [b"\x01"]}, "mixed": {"L": [{"S": "x"}, {"B": b"\x02"}]}},
    {"odd": {"S": "x", "N": "1"}, "number": {"N": 5}},  # not wire form: moto's own walk answers
]


@pytest.mark.parametrize("item", ITEMS)
def test_an_item_serializes_as_moto_serializes_it(cloud: Resources, item: dict[str, Any]) -> None:
    # Given moto's JSON serializer for DynamoDB's GetItem answer
    service = get_service_model("dynamodb")
    operation = service.operation_model("GetItem")

    def serialized() -> Any:
        serializer = serialize.JSONSerializer(
            operation_model=operation, value_picker=serialize.XFormedAttributePicker()
        )
        return serializer.serialize({"Item": item})["body"]

    # When the item is serialized with the pass-through and with moto's own walk
    patched = serialized()
    structure = serialize.BaseJSONSerializer._serialize_type_structure
    serialize.BaseJSONSerializer._serialize_type_structure = structure.__wrapped__  # type: ignore[attr-defined,method-assign]
    try:
        own = serialized()
    finally:
        serialize.BaseJSONSerializer._serialize_type_structure = structure  # type: ignore[method-assign]
    # Then both write the same body
    assert patched == own
    assert getattr(structure, "_plain_values", False)
    members = getattr(service.shape_for("AttributeValue"), "members")  # noqa: B009 (a StructureShape)
    assert set(members) == moto_patches.ATTRIBUTE_VALUE_MEMBERS


def _update(client: Any, key: dict[str, Any], expression: str, names: dict[str, str]) -> None:
    client.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":v": {"S": "value"}},
    )


def test_an_expression_s_shape_is_checked_once_per_text_and_names(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's clause-count check, counting the trees it walks
    from moto.dynamodb.parsing import validators

    walked = SeenHere()
    check = validators.ActionCountValidator.verify_action_counts
    monkeypatch.setattr(
        validators.ActionCountValidator,
        "verify_action_counts",
        lambda self, node: walked.append(node) or check(self, node),
    )
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"SHAPE#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
    placeholder = f"#u{uuid.uuid4().hex}"  # a text no earlier test has sent
    expression, names = f"SET #a = :v, {placeholder} = :v", {"#a": "a", placeholder: "b"}
    # When the same update is made, then made twice more
    _update(client, key, expression, names)
    first = len(walked)
    for _ in range(2):
        _update(client, key, expression, names)
    # Then its shape was checked on the first only
    assert first > 0
    assert len(walked) == first


def test_a_shape_that_fails_with_other_names_fails_every_time(cloud: Resources) -> None:
    # Given an expression that passed its shape checks with two distinct names
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"SHAPE#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
    expression = "SET #one = :v, #two = :v"
    _update(client, key, expression, {"#one": "a", "#two": "b"})
    # When it names one attribute twice, twice over
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            _update(client, key, expression, {"#one": "a", "#two": "a"})
        # Then each is refused as moto refuses two actions on one path
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert "Two document paths overlap" in refused.value.response["Error"]["Message"]
    # And two SET clauses are refused every time, as moto refuses them
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            _update(client, key, "SET #one = :v SET #two = :v", {"#one": "a", "#two": "b"})
        assert refused.value.response["Error"]["Code"] == "ValidationException"


def _item_of_size(size: int) -> dict[str, Any]:
    """Attributes whose sizes (as moto counts them: name + value) add up to `size`."""
    filler = size - len("k") - len("pad")
    return {"k": {"S": "v"}, "pad": {"S": "x" * (filler - len("v"))}}


@pytest.mark.parametrize("size", [moto_patches.ITEM_SIZE_LIMIT, moto_patches.ITEM_SIZE_LIMIT + 1])
def test_a_new_item_is_sized_as_moto_sizes_it(cloud: Resources, size: int) -> None:
    # Given moto's own item constructor beside the patched one
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    moto_init = getattr(Item.__init__, "__wrapped__")  # noqa: B009 (set by moto_patches)
    hash_key = DynamoType({"S": "SIZE"})
    outcomes = []
    # When an item of exactly moto's limit, and one a byte over it, is built by each
    for init in (Item.__init__, moto_init):
        item = Item.__new__(Item)
        try:
            init(item, hash_key, None, _item_of_size(size))
            outcomes.append(("built", dict(item.attrs)))
        except ItemSizeTooLarge:
            outcomes.append(("too large", None))
    # Then both agree: the first is built, the second refused
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == ("built" if size <= moto_patches.ITEM_SIZE_LIMIT else "too large")


def test_a_new_item_s_attributes_are_sized_once_each(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's attribute sizing, counted
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    sized = SeenHere()
    size = DynamoType.size
    monkeypatch.setattr(DynamoType, "size", lambda self: sized.append(1) or size(self))
    # When an item of 30 attributes is built
    Item(DynamoType({"S": "SIZE"}), None, {f"a{i}": {"S": "v"} for i in range(30)})
    # Then each attribute was sized once (moto summed them all again on each insert: 465 times)
    assert len(sized) == 30


def test_a_put_over_dynamodb_s_limit_is_refused(cloud: Resources) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    item = {"PK": {"S": f"SIZE#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}, "big": {"S": "x" * 410_000}}
    with pytest.raises(ClientError) as refused:
        client.put_item(TableName=TABLE, Item=item)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Item size has exceeded the maximum allowed size" in refused.value.response["Error"]["Message"]


# moto_dynamodb (the fourth pass): each group against moto's own code (moto_dynamodb.moto_s_own).

SEED: dict[str, Any] = {
    "s": {"S": "text"},
    "n": {"N": "5"},
    "m": {"M": {"inner": {"M": {"deep": {"S": "x"}}}, "count": {"N": "1"}}},
    "l": {"L": [{"S": "a"}, {"N": "2"}, {"M": {"k": {"S": "v"}}}]},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
}
# (UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues): what moto accepts and refuses.
ONE, V = {":one": {"N": "1"}}, {":v": {"S": "v"}}
SETS = {**ONE, ":more": {"SS": ["c"]}, ":gone": {"NS": ["1"]}}
UPDATES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("SET #s = :v, #n = #n + :one, #m.inner.deep = :v", {"#s": "s", "#n": "n", "#m": "m"}, {**V, **ONE}),
    (
        "SET #a = if_not_exists(#a, :zero), #l = list_append(#l, :more)",
        {"#a": "a", "#l": "l"},
        {":zero": {"N": "0"}, ":more": {"L": [{"S": "z"}]}},
    ),
    ("SET l[1] = :v, m.#c = m.#c - :one REMOVE l[0], #s", {"#c": "count", "#s": "s"}, {**V, **ONE}),
    (
        "ADD #n :one, ss :more DELETE ns :gone",
        {"#n": "n"},
        {**ONE, ":more": {"SS": ["c"]}, ":gone": {"NS": ["1"]}},
    ),
    ("SET #new.#x = :v", {"#new": "new", "#x": "x"}, V),  # refused: no such map
    ("SET #a = :v, #a = :w", {"#a": "a"}, {**V, ":w": {"S": "w"}}),  # refused: overlap
    ("SET SK = :v", {}, V),  # refused: a key attribute
    ("ADD #s :one", {"#s": "s"}, ONE),  # refused: ADD to a string
    ("SET #s = :missing", {"#s": "s"}, V),  # refused: unknown placeholder
    ("SET size = :v", {}, V),  # refused: reserved word
    ("SET #s = :e, #m = :m", {"#s": "s", "#m": "m"}, {":e": {"S": ""}, ":m": {"M": {}}}),
    ("REMOVE #gone, m.inner.deep SET #n = :v + #n", {"#gone": "gone", "#n": "n"}, {":v": {"N": "10"}}),
]


def _outcome(call: Any) -> tuple[Any, ...]:
    """What a call answered: ("ok", its answer), ("error", its code, its message) or what it raised."""
    try:
        answer = call()
    except ClientError as error:
        return ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])
    except Exception as error:  # moto raises some refusals as they are, not as an answer
        return ("raised", type(error).__name__, str(error))
    answer.pop("ResponseMetadata", None)
    return ("ok", answer)


def _as_moto_answers(group: str, scenario: Any) -> None:
    """Run `scenario(prefix)` with moto_dynamodb's group on and with moto's own code (each on items of
    its own), and assert both answered the same."""
    from agent_runtime_local import moto_dynamodb

    assert moto_dynamodb.PATCHES[group], f"{group} is installed"
    mine, theirs = f"{uuid.uuid4()}", f"{uuid.uuid4()}"
    patched = scenario(mine)
    with moto_dynamodb.moto_s_own(group):
        own = scenario(theirs)
    assert json.dumps(patched, default=repr).replace(mine, "P") == json.dumps(own, default=repr).replace(
        theirs, "P"
    )


def _updates(prefix: str) -> list[tuple[Any, ...]]:
    client = boto3.client("dynamodb", region_name=REGION)
    outcomes = []
    for index, (expression, names, values) in enumerate(UPDATES):
        key = {"PK": {"S": f"{prefix}#{index}"}, "SK": {"S": "ITEM"}}
        client.put_item(TableName=TABLE, Item={**key, **SEED})
        update: dict[str, Any] = {"TableName": TABLE, "Key": key, "UpdateExpression": expression}
        if names:
            update["ExpressionAttributeNames"] = names
        update["ExpressionAttributeValues"] = values
        outcomes.append(_outcome(functools.partial(client.update_item, **update, ReturnValues="ALL_NEW")))
        item = client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
        outcomes.append(("item", {k: v for k, v in item.items() if k not in key}))
    return outcomes


def test_updates_are_validated_and_applied_as_moto_s_own_passes_do(cloud: Resources) -> None:
    _as_moto_answers("tree dispatch", _updates)


def test_a_pass_asks_each_node_class_once_not_each_node(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's abstract-class checks, counted
    import abc

    from agent_runtime_local import moto_dynamodb

    checks = SeenHere()
    check = abc.ABCMeta.__instancecheck__
    monkeypatch.setattr(abc.ABCMeta, "__instancecheck__", lambda cls, x: checks.append(1) or check(cls, x))
    client = boto3.client("dynamodb", region_name=REGION)
    expression = ", ".join(f"#a{i} = :v" for i in range(20))
    names = {f"#a{i}": f"a{i}" for i in range(20)}

    def update() -> int:
        checks.clear()
        key = {"PK": {"S": f"DISPATCH#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
        client.put_item(TableName=TABLE, Item=key)
        client.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression=f"SET {expression}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":v": {"S": "v"}},
        )
        return len(checks)

    # When a 20-action update is made with each pass's answers kept per class, and with moto's own walk
    update()
    patched = update()
    with moto_dynamodb.moto_s_own("tree dispatch"):
        own = update()
    # Then the checks no longer grow with the nodes (moto's: two per node and pass)
    assert own > 1000
    assert patched < own / 5


VALUES: list[dict[str, Any]] = [
    {"S": "text"},
    {"S": ""},
    {"S": "déjà vu ✓ 🙂"},
    {"N": "12.5"},
    {"N": "-1E+10"},
    {"B": b"\x00\xff"},
    {"B": "AP8="},  # binary as moto may hold it: base64 text
    {"BOOL": True},
    {"BOOL": False},
    {"NULL": True},
    {"SS": ["a", "bé"]},
    {"NS": ["1", "2.50"]},
    {"BS": [b"\x01", b"\x02\x03"]},
    {"L": [{"S": "x"}, {"N": "1"}, {"M": {"k": {"BOOL": False}}}]},
    {"M": {"inner": {"L": [{"S": "é"}, {"NULL": True}]}, "n": {"N": "7"}}},
]


@pytest.mark.parametrize("value", VALUES, ids=lambda value: next(iter(value)))
def test_a_value_is_sized_as_moto_sizes_it(cloud: Resources, value: dict[str, Any]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    from agent_runtime_local import moto_dynamodb

    patched = DynamoType(value).size()
    with moto_dynamodb.moto_s_own("item sizes"):
        own = DynamoType(value).size()
    assert patched == own


def _sized_updates(prefix: str) -> list[tuple[Any, ...]]:
    """Updates that take an item to moto's limit and a byte over it, by a plain value and by a map."""
    client = boto3.client("dynamodb", region_name=REGION)
    outcomes = []
    for extra in (0, 1):
        for kind in ("S", "M"):
            key = {"PK": {"S": f"{prefix}#{extra}{kind}"}, "SK": {"S": "ITEM"}}
            client.put_item(TableName=TABLE, Item={**key, "n": {"N": "1"}})
            # moto counts names and values: PK, SK, n and pad, with their values
            filler = moto_patches.ITEM_SIZE_LIMIT - len(f"PKSKnpad{key['PK']['S']}ITEM1") + extra
            value = {"S": "x" * filler} if kind == "S" else {"M": {"x": {"S": "y" * (filler - 1)}}}
            update = functools.partial(
                client.update_item,
                TableName=TABLE,
                Key=key,
                UpdateExpression="SET #a = :v",
                ExpressionAttributeNames={"#a": "pad"},
                ExpressionAttributeValues={":v": value},
                ReturnValues="UPDATED_NEW",
            )
            outcomes.append(_outcome(update))
    return [(o[0], o[1] if o[0] == "error" else "", len(json.dumps(o[1:]))) for o in outcomes]


def test_updates_near_the_limit_are_refused_as_moto_refuses_them(cloud: Resources) -> None:
    _as_moto_answers("item sizes", _sized_updates)
    outcomes = _sized_updates(f"{uuid.uuid4()}")
    assert [o[0] for o in outcomes] == [
        "ok",
        "ok",
        "error",
        "error",
    ]  # at the limit (a string, a map), then over
    assert all(o[1] == "ValidationException" for o in outcomes[2:])


def _type_tests_of_an_update(monkeypatch: pytest.MonkeyPatch, prefix: str) -> Callable[[], int]:
    """An update of ten attributes on a fresh 32-attribute item, answering how many times moto tested
    a value's type (DynamoType.is_number, the first of its size's type tests) while applying it."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    tests = SeenHere()
    is_number = DynamoType.is_number
    monkeypatch.setattr(DynamoType, "is_number", lambda self: tests.append(1) or is_number(self))
    client = boto3.client("dynamodb", region_name=REGION)
    names = {f"#a{i}": f"a{i}" for i in range(10)}

    def update() -> int:
        key = {"PK": {"S": f"{prefix}#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
        client.put_item(TableName=TABLE, Item={**key, **{f"b{i}": {"S": "v"} for i in range(30)}})
        tests.clear()
        client.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET " + ", ".join(f"{name} = :v" for name in names),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":v": {"S": "v"}},
        )
        return len(tests)

    return update


def test_plain_values_are_sized_without_moto_s_type_tests(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's number test (the first of its size's type tests), counted
    from agent_runtime_local import moto_dynamodb

    update = _type_tests_of_an_update(monkeypatch, "SIZES")

    # When ten attributes are set on a 32-attribute item with plain values sized directly, and by moto
    patched = update()
    with moto_dynamodb.moto_s_own("item sizes", "sizes kept"):
        own = update()
    # Then moto tested each attribute's type on each set (over 300 times); directly, none was
    assert own > 300
    assert patched < 20


def _reserved_words(prefix: str) -> list[tuple[Any, ...]]:
    """Names that are DynamoDB reserved words (any case) and names that aren't, in a condition, an
    update's path and a projection."""
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"{prefix}#WORDS"}, "SK": {"S": "ITEM"}}
    client.put_item(TableName=TABLE, Item={**key, "plain": {"S": "x"}})
    outcomes = []
    for name in ("status", "Size", "VALUE", "plain", "statuses", "pk"):
        calls = (
            functools.partial(
                client.put_item, TableName=TABLE, Item=key, ConditionExpression=f"attribute_exists({name})"
            ),
            functools.partial(
                client.update_item,
                TableName=TABLE,
                Key=key,
                UpdateExpression=f"SET {name} = :v",
                ExpressionAttributeValues={":v": {"S": "v"}},
            ),
            functools.partial(client.get_item, TableName=TABLE, Key=key, ProjectionExpression=name),
        )
        outcomes += [_outcome(call) for call in calls]
    return outcomes


def test_reserved_words_are_refused_as_moto_refuses_them(cloud: Resources) -> None:
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    _as_moto_answers("reserved words", _reserved_words)
    refused = ["reserved keyword" in str(o[-1]) for o in _reserved_words(f"{uuid.uuid4()}")]
    assert refused == [True] * 9 + [False] * 9  # status, Size, VALUE are; plain, statuses, pk aren't
    assert "SIZE" in ReservedKeywords.get_reserved_keywords()
    assert "size" not in ReservedKeywords.get_reserved_keywords()  # the list is upper case, as moto's


def test_a_name_is_looked_up_in_the_reserved_words_in_one_step(cloud: Resources) -> None:
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    words = ReservedKeywords.get_reserved_keywords()
    assert len(words) > 500
    assert type(words).__contains__ is not list.__contains__


# (ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues) on a seeded item.
CONDITIONS: list[tuple[str, dict[str, str] | None, dict[str, Any] | None]] = [
    ("attribute_not_exists(PK)", None, None),
    ("attribute_exists(PK)", None, None),
    ("attribute_exists(m.inner.deep) AND size(l) > :two", None, {":two": {"N": "2"}}),
    (
        "#n BETWEEN :lo AND :hi OR NOT (#s IN (:a, :b))",
        {"#n": "n", "#s": "s"},
        {":lo": {"N": "1"}, ":hi": {"N": "9"}, ":a": {"S": "a"}, ":b": {"S": "b"}},
    ),
    (
        "begins_with(#s, :t) AND contains(ss, :a) AND attribute_type(n, :N)",
        {"#s": "s"},
        {":t": {"S": "te"}, ":a": {"S": "a"}, ":N": {"S": "N"}},
    ),
    ("l[0] = :a AND #n <> :five", {"#n": "n"}, {":a": {"S": "a"}, ":five": {"N": "5"}}),
    ("attribute_not_exists(PK) OR attribute_not_exists(SK)", None, None),
    ("((attribute_exists(s)))", None, None),  # refused: redundant parentheses
    ("attribute_exists(status)", None, None),  # refused: a reserved word
    ("#n = :missing", {"#n": "n"}, {":v": {"S": "v"}}),  # refused: unknown placeholder
    ("#n = :v", None, None),  # refused: no names or values
    ("attribute_exists(s) AND", None, None),  # refused: incomplete
    ("s = 'text'", None, None),  # refused: not a token moto knows
]


def _conditions(prefix: str) -> list[tuple[Any, ...]]:
    client = boto3.client("dynamodb", region_name=REGION)
    outcomes = []
    for index, (condition, names, values) in enumerate(CONDITIONS):
        key = {"PK": {"S": f"{prefix}#{index}"}, "SK": {"S": "ITEM"}}
        client.put_item(TableName=TABLE, Item={**key, **SEED})
        for _ in range(2):  # the second from what the first kept
            put: dict[str, Any] = {
                "TableName": TABLE,
                "Item": {**key, **SEED},
                "ConditionExpression": condition,
            }
            if names is not None:
                put["ExpressionAttributeNames"] = names
            if values is not None:
                put["ExpressionAttributeValues"] = values
            outcomes.append(_outcome(functools.partial(client.put_item, **put)))
            item = {"Update": {"Key": key, "UpdateExpression": "SET z = :z", **put}}
            del item["Update"]["Item"]
            item["Update"]["ExpressionAttributeValues"] = {**(values or {}), ":z": {"S": "z"}}
            outcomes.append(_outcome(functools.partial(client.transact_write_items, TransactItems=[item])))
    return outcomes


def test_conditions_are_parsed_and_judged_as_moto_does(cloud: Resources) -> None:
    _as_moto_answers("condition parse", _conditions)


def test_a_condition_is_split_into_tokens_once_per_text(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's condition lexer and grammar, counted
    from moto.dynamodb.comparisons import ConditionExpressionParser

    lexed, grammar = SeenHere(), SeenHere()
    lex_one, functions = ConditionExpressionParser._lex_one_node, ConditionExpressionParser._apply_functions
    monkeypatch.setattr(
        ConditionExpressionParser,
        "_lex_one_node",
        lambda self, rest: lexed.append(rest) or lex_one(self, rest),
    )
    monkeypatch.setattr(
        ConditionExpressionParser,
        "_apply_functions",
        lambda self, nodes: grammar.append(1) or functions(self, nodes),
    )
    client = boto3.client("dynamodb", region_name=REGION)
    marker = f"m{uuid.uuid4().hex}"  # a text no earlier test has sent
    with_values = f"attribute_not_exists({marker}) OR {marker} = :v"
    without = f"attribute_not_exists({marker})"
    # When a transaction writes with each condition, twice
    for condition, values in ((with_values, {":v": {"S": "v"}}), (without, None)):
        for _ in range(2):
            key = {"PK": {"S": f"LEX#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
            put: dict[str, Any] = {"TableName": TABLE, "Item": key, "ConditionExpression": condition}
            if values:
                put["ExpressionAttributeValues"] = values
            client.transact_write_items(TransactItems=[{"Put": put}])
    # Then each text was split into tokens once: at its first parse
    assert [rest for rest in lexed if marker in rest][:1] == [with_values]
    assert sum(rest == with_values for rest in lexed) == 1
    assert sum(rest == without for rest in lexed) == 1
    # And the condition with values went through moto's grammar at each of its 6 parses, the other once
    assert len(grammar) == 6 + 1


def _growing_updates(prefix: str) -> list[tuple[Any, ...]]:
    """Updates that change attributes of an item near moto's limit, then set another: the sum after a
    change must count what the attribute holds now."""
    client = boto3.client("dynamodb", region_name=REGION)
    outcomes = []
    half = moto_patches.ITEM_SIZE_LIMIT // 2
    steps = [
        ("SET pad = :big, other = :small", {":big": {"S": "x" * (half + 10)}, ":small": {"S": "y" * 10}}),
        ("SET pad = :big, other = :small", {":big": {"S": "x" * (half - 10)}, ":small": {"S": "y" * 10}}),
        ("SET m.inner = :big, other = :small", {":big": {"S": "x" * half}, ":small": {"S": "y"}}),
        ("ADD n :one SET other = :small", {":one": {"N": "1"}, ":small": {"S": "y"}}),
        ("REMOVE pad SET other = :small", {":small": {"S": "y" * half}}),
    ]
    for index in range(len(steps)):
        key = {"PK": {"S": f"{prefix}#{index}"}, "SK": {"S": "ITEM"}}
        seed = {"pad": {"S": "p" * (half - 100)}, "n": {"N": "1"}, "m": {"M": {"inner": {"S": "i"}}}}
        client.put_item(TableName=TABLE, Item={**key, **seed})
        for expression, values in steps[index:] + steps[:index]:
            update = functools.partial(
                client.update_item,
                TableName=TABLE,
                Key=key,
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
            )
            outcomes.append(_outcome(update))
        item = client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
        outcomes.append(
            ("sizes", {name: len(json.dumps(value)) for name, value in item.items() if name not in key})
        )
    return outcomes


def test_sizes_kept_across_sets_sum_as_moto_sums_them(cloud: Resources) -> None:
    _as_moto_answers("sizes kept", _growing_updates)
    _as_moto_answers("sizes kept", _sized_updates)
    _as_moto_answers("sizes kept", _updates)
    assert "error" in [o[0] for o in _growing_updates(f"{uuid.uuid4()}")]  # some went over


def test_an_update_sizes_each_plain_attribute_once(cloud: Resources, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given moto's own sizing, its number test counted
    from agent_runtime_local import moto_dynamodb

    update = _type_tests_of_an_update(monkeypatch, "KEPT")

    # When ten attributes are set on a 32-attribute item, with sizes kept and without
    with moto_dynamodb.moto_s_own("item sizes"):
        kept = update()
    with moto_dynamodb.moto_s_own("item sizes", "sizes kept"):
        own = update()
    # Then each attribute was sized about once (moto: each on every set, over 300 times)
    assert own > 300
    assert kept < 80


def _answers(prefix: str) -> list[tuple[Any, ...]]:
    """Items of every attribute type read back by GetItem, Query and BatchGetItem, and a cancelled
    transaction's reasons with the item it found."""
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"{prefix}#ANSWERS"}, "SK": {"S": "ITEM"}}
    item = {**key, **{f"v{i}": value for i, value in enumerate(VALUES)}}
    client.put_item(TableName=TABLE, Item=item)
    condition = {
        "ConditionExpression": "attribute_not_exists(PK)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    calls = (
        functools.partial(client.get_item, TableName=TABLE, Key=key, ConsistentRead=True),
        functools.partial(client.get_item, TableName=TABLE, Key=key, ProjectionExpression="v3, v13, v14"),
        functools.partial(
            client.query,
            TableName=TABLE,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": key["PK"]},
        ),
        functools.partial(client.batch_get_item, RequestItems={TABLE: {"Keys": [key]}}),
        functools.partial(
            client.transact_write_items,
            TransactItems=[{"Put": {"TableName": TABLE, "Item": item, **condition}}],
        ),
    )
    outcomes = []
    for call in calls:
        outcome = _outcome(call)
        if outcome[0] == "error":  # the cancellation reasons, with the item found
            outcome = outcome[:2]
        outcomes.append(outcome)
    return outcomes


def test_answers_holding_items_are_built_as_moto_builds_them(cloud: Resources) -> None:
    _as_moto_answers("answers built", _answers)
    outcomes = _answers(f"{uuid.uuid4()}")
    assert outcomes[0][1]["Item"]["v5"] == {"B": b"\x00\xff"}
    assert outcomes[4][:2] == ("error", "TransactionCanceledException")


def test_a_plain_item_is_answered_without_moto_s_checks_per_value(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the first of dynamo_to_dict's checks on each value (is it a datetime?), counted
    import datetime

    from moto.dynamodb.models import utilities

    from agent_runtime_local import moto_dynamodb

    checks = SeenHere()

    class Counted(type):
        def __instancecheck__(cls, value: Any) -> bool:
            checks.append(1)
            return isinstance(value, datetime.datetime)

    monkeypatch.setattr(utilities, "datetime", Counted("datetime", (), {}))
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"ANSWER#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
    client.put_item(TableName=TABLE, Item={**key, **{f"a{i}": {"S": "v"} for i in range(40)}})

    def read() -> int:
        checks.clear()
        client.get_item(TableName=TABLE, Key=key)
        return len(checks)

    # When a 42-attribute plain item is read with the answer built directly, and by moto
    patched = read()
    with moto_dynamodb.moto_s_own("answers built"):
        own = read()
    # Then moto checked each value and its payload; directly, none was
    assert own > 84
    assert patched == 0


def _requests(prefix: str) -> list[tuple[Any, ...]]:
    """Writes and reads whose requests carry every attribute type, and values not in wire form."""
    client = boto3.client("dynamodb", region_name=REGION)
    key = {"PK": {"S": f"{prefix}#REQUESTS"}, "SK": {"S": "ITEM"}}
    item = {**key, **{f"v{i}": value for i, value in enumerate(VALUES)}}
    values = {f":v{i}": value for i, value in enumerate(VALUES)}
    calls = (
        functools.partial(client.put_item, TableName=TABLE, Item=item),
        functools.partial(
            client.update_item,
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET " + ", ".join(f"w{i} = :v{i}" for i in range(len(VALUES))),
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        ),
        functools.partial(
            client.query,
            TableName=TABLE,
            KeyConditionExpression="PK = :pk",
            FilterExpression="v5 = :b AND v13 = :l",
            ExpressionAttributeValues={":pk": key["PK"], ":b": VALUES[5], ":l": VALUES[13]},
        ),
        functools.partial(
            client.transact_write_items,
            TransactItems=[{"Put": {"TableName": TABLE, "Item": {**item, "n": {"N": "1"}}}}],
        ),
        functools.partial(client.get_item, TableName=TABLE, Key=key, ConsistentRead=True),
    )
    return [_outcome(call) for call in calls]


def test_requests_are_read_as_moto_reads_them(cloud: Resources) -> None:
    _as_moto_answers("plain values parsed", _requests)
    outcomes = _requests(f"{uuid.uuid4()}")
    assert [o[0] for o in outcomes] == ["ok"] * 5
    assert outcomes[2][1]["Count"] == 1  # the filter matched the binary and the list
    assert outcomes[4][1]["Item"]["v5"] == {"B": b"\x00\xff"}


def test_a_request_body_is_parsed_as_moto_parses_it(cloud: Resources) -> None:
    # Given a TransactWriteItems body with every attribute type, and values that aren't in wire form
    from moto.core import parse

    from agent_runtime_local import moto_dynamodb

    odd: list[Any] = [
        {"S": "x", "N": "1"},
        {"S": None},
        {"N": 5},
        {"M": {"k": {"S": 1}}},
        {"L": [{"B": "AP8="}]},
    ]
    item = {
        **{f"v{i}": value for i, value in enumerate(VALUES)},
        **{f"o{i}": value for i, value in enumerate(odd)},
    }
    for name, value in item.items():
        if "B" in value and isinstance(value["B"], bytes):
            item[name] = {"B": "AP8="}  # on the wire, binary is base64 text
        if "BS" in value:
            item[name] = {"BS": ["AQ=="]}
    body = json.dumps({"TransactItems": [{"Put": {"TableName": TABLE, "Item": item}}]}).encode()
    operation = get_service_model("dynamodb").operation_model("TransactWriteItems")

    def parsed() -> Any:
        return parse.JSONParser(operation, map_type=dict).parse({"body": body})

    # When it is parsed with plain values taken as they are, and by moto's walk
    patched = parsed()
    with moto_dynamodb.moto_s_own("plain values parsed"):
        own = parsed()
    # Then both read the same, binary decoded
    assert patched == own
    assert patched["TransactItems"][0]["Put"]["Item"]["v5"] == {"B": b"\x00\xff"}


def test_plain_values_are_not_walked_member_by_member(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's parser's handler of plain members (strings, booleans), counted
    from moto.core import parse

    from agent_runtime_local import moto_dynamodb

    handled = SeenHere()
    default = parse.RequestParser._default_handle
    monkeypatch.setattr(
        parse.RequestParser,
        "_default_handle",
        lambda self, shape, value: handled.append(1) or default(self, shape, value),
    )
    client = boto3.client("dynamodb", region_name=REGION)

    def put() -> int:
        handled.clear()
        key = {"PK": {"S": f"PARSE#{uuid.uuid4()}"}, "SK": {"S": "ITEM"}}
        client.put_item(TableName=TABLE, Item={**key, **{f"a{i}": {"S": "v"} for i in range(40)}})
        return len(handled)

    # When a 42-attribute item is put with plain values taken as they are, and by moto's walk
    patched = put()
    with moto_dynamodb.moto_s_own("plain values parsed"):
        own = put()
    # Then moto handled each of the 42 values' member (and, both ways, each name and the table's)
    assert own - patched == 42


def test_an_item_is_copied_as_moto_copies_it(cloud: Resources) -> None:
    # Given an item of every attribute type, one plain value held by two attributes, and a map
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    from agent_runtime_local import moto_dynamodb

    def item() -> Any:
        built = Item(
            DynamoType({"S": "H"}), DynamoType({"S": "R"}), {f"v{i}": v for i, v in enumerate(VALUES)}
        )
        built.attrs["shared"] = built.attrs["again"] = built.attrs["v0"]
        return built

    def described(copied: Any, source: Any) -> Any:
        shared = copied.attrs["shared"] is copied.attrs["again"]
        fresh = all(copied.attrs[name] is not source.attrs[name] for name in source.attrs)
        return (copied.to_json(), copied.hash_key, copied.range_key, shared, fresh, type(copied.attrs))

    # When it is deep-copied with plain values made directly, and by moto
    source = item()
    tracked = len(Item.instances_tracked)  # type: ignore[attr-defined]
    patched = described(copy.deepcopy(source), source)
    registered = len(Item.instances_tracked) - tracked  # type: ignore[attr-defined]
    with moto_dynamodb.moto_s_own("item copies"):
        tracked = len(Item.instances_tracked)  # type: ignore[attr-defined]
        own = described(copy.deepcopy(source), source)
    # (moto's register of models takes each copy as it takes any new Item: memory.py decides whether)
    assert registered == len(Item.instances_tracked) - tracked  # type: ignore[attr-defined]
    # Then the copies are alike: equal values, each a new object, one copy of the shared value
    assert patched == own
    assert patched[3:5] == (True, True)


def test_plain_values_are_copied_without_a_deepcopy_each(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's DynamoType.__deepcopy__, counted
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    from agent_runtime_local import moto_dynamodb

    copies = SeenHere()
    deepcopy = DynamoType.__deepcopy__
    monkeypatch.setattr(
        DynamoType, "__deepcopy__", lambda self, memo: copies.append(1) or deepcopy(self, memo)
    )
    item = Item(DynamoType({"S": "H"}), DynamoType({"S": "R"}), {f"a{i}": {"S": "v"} for i in range(40)})

    def copied() -> int:
        copies.clear()
        copy.deepcopy(item)
        return len(copies)

    # When a 40-attribute plain item is copied with plain values made directly, and by moto
    patched = copied()
    with moto_dynamodb.moto_s_own("item copies"):
        own = copied()
    # Then only its keys went through DynamoType.__deepcopy__ (moto: every value too)
    assert (patched, own) == (2, 42)


def test_clauses_are_found_as_moto_finds_them(cloud: Resources) -> None:
    # Given parse trees of updates with every clause, nested paths and functions
    from moto.dynamodb.parsing import ast_nodes

    from agent_runtime_local import moto_dynamodb

    kinds = [
        [ast_nodes.ExpressionAttributeName],  # type: ignore[attr-defined]
        [ast_nodes.ExpressionAttributeValue],  # type: ignore[attr-defined]
        [
            ast_nodes.UpdateExpressionAddAction,  # type: ignore[attr-defined]
            ast_nodes.UpdateExpressionDeleteAction,  # type: ignore[attr-defined]
            ast_nodes.UpdateExpressionRemoveAction,  # type: ignore[attr-defined]
            ast_nodes.UpdateExpressionSetAction,  # type: ignore[attr-defined]
        ],
        [ast_nodes.UpdateExpressionSetClause],  # type: ignore[attr-defined]
    ]

    def found() -> list[list[Any]]:
        return [
            [_shape(clause) for clause in tree.find_clauses(kind)]
            for expression, _, _ in UPDATES
            for tree in [UpdateExpressionParser.make.__func__._original(UpdateExpressionParser, expression)]
            for kind in kinds
        ]

    # When their clauses are searched by class, and by moto
    patched = found()
    with moto_dynamodb.moto_s_own("clause search"):
        own = found()
    # Then both find the same, in the same order; and updates come out alike
    assert patched == own
    assert any(patched)
    _as_moto_answers("clause search", _updates)


def test_a_clause_search_asks_each_class_once(cloud: Resources, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given moto's abstract-class checks made while searching clauses, counted
    import abc

    from agent_runtime_local import moto_dynamodb

    checks = SeenHere()
    check = abc.ABCMeta.__instancecheck__

    def counted(cls: Any, value: Any) -> bool:
        if sys._getframe(1).f_code.co_name == "find_clauses":
            checks.append(1)
        return check(cls, value)

    monkeypatch.setattr(abc.ABCMeta, "__instancecheck__", counted)
    names = {f"#a{i}": f"a{i}" for i in range(20)}
    tree = UpdateExpressionParser.make("SET " + ", ".join(f"{name} = :v" for name in names))

    def search() -> int:
        checks.clear()
        tree.find_clauses([])
        return len(checks)

    # When a 20-action update's clauses are searched, after a first search, and by moto
    search()
    patched = search()
    with moto_dynamodb.moto_s_own("clause search"):
        own = search()
    # Then no class was asked again (moto: each node's, twice)
    assert own > 40
    assert patched == 0


def _queries(prefix: str) -> list[tuple[Any, ...]]:
    """Queries of the table's key (and one of an index) over three partitions of the prefix's own."""
    client = boto3.client("dynamodb", region_name=REGION)
    for partition in ("A", "B", "C"):
        for n in range(7):
            item = {"PK": {"S": f"{prefix}#{partition}"}, "SK": {"S": f"ITEM#{n}"}, "n": {"N": f"{n}"}}
            client.put_item(
                TableName=TABLE, Item={**item, "gsi1pk": {"S": f"{prefix}#G"}, "created_key": item["SK"]}
            )
    b = {":pk": {"S": f"{prefix}#B"}}
    queries: list[dict[str, Any]] = [
        {"KeyConditionExpression": "PK = :pk", "ExpressionAttributeValues": b},
        {"KeyConditionExpression": "PK = :pk", "ExpressionAttributeValues": {":pk": {"S": f"{prefix}#none"}}},
        {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :s)",
            "ExpressionAttributeValues": {**b, ":s": {"S": "ITEM#"}},
            "ScanIndexForward": False,
            "Limit": 3,
        },
        {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {**b, ":lo": {"S": "ITEM#2"}, ":hi": {"S": "ITEM#5"}},
            "FilterExpression": "n <> :three",
            "ExpressionAttributeValues_extra": {":three": {"N": "3"}},
        },
        {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": b,
            "ExclusiveStartKey": {"PK": {"S": f"{prefix}#B"}, "SK": {"S": "ITEM#4"}},
            "ProjectionExpression": "SK",
        },
        {"KeyConditionExpression": "PK = :pk", "ExpressionAttributeValues": b, "Select": "COUNT"},
        {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :g",
            "ExpressionAttributeValues": {":g": {"S": f"{prefix}#G"}},
            "Limit": 10,
        },
        {  # an index's order: its sort key, then the table's key (the items share created_key values)
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :g AND created_key > :from",
            "ExpressionAttributeValues": {":g": {"S": f"{prefix}#G"}, ":from": {"S": "ITEM#2"}},
            "ScanIndexForward": False,
            "FilterExpression": "n <> :five",
            "ExpressionAttributeValues_extra": {":five": {"N": "5"}},
            "ExclusiveStartKey": {
                "gsi1pk": {"S": f"{prefix}#G"},
                "created_key": {"S": "ITEM#6"},
                "PK": {"S": f"{prefix}#B"},
                "SK": {"S": "ITEM#6"},
            },
        },
    ]
    outcomes = []
    for query in queries:
        extra = query.pop("ExpressionAttributeValues_extra", {})
        query["ExpressionAttributeValues"] = {**query["ExpressionAttributeValues"], **extra}
        outcomes.append(_outcome(functools.partial(client.query, TableName=TABLE, **query)))
    return outcomes


def test_a_query_of_the_table_s_key_answers_as_moto_s_own_does(cloud: Resources) -> None:
    _as_moto_answers("partition query", _queries)
    outcomes = _queries(f"{uuid.uuid4()}")
    assert [o[1]["Count"] for o in outcomes] == [7, 0, 3, 3, 2, 7, 10, 7]
    last = [(i["PK"]["S"][-1], i["SK"]["S"]) for i in outcomes[-1][1]["Items"]]
    assert last[:4] == [("A", "ITEM#6"), ("C", "ITEM#4"), ("B", "ITEM#4"), ("A", "ITEM#4")]


def test_a_query_of_the_table_s_key_lists_only_its_partition(
    cloud: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given what the table lists for each query, counted
    from moto.dynamodb.models.table import Table

    listed = SeenHere()  # the session stack's reconciler and pollers query meanwhile
    all_items = Table.all_items

    def counted(self: Any) -> list[Any]:
        items = all_items(self)
        listed.append(len(items))
        return items

    monkeypatch.setattr(Table, "all_items", counted)
    prefix = f"{uuid.uuid4()}"
    _queries(prefix)
    # When the table's key is queried, and then an index
    client = boto3.client("dynamodb", region_name=REGION)
    listed.clear()
    client.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"{prefix}#B"}},
    )
    client.query(
        TableName=TABLE,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :g",
        ExpressionAttributeValues={":g": {"S": f"{prefix}#G"}},
    )
    # Then the first listed its partition's 7 items, the index query the whole table (21 of them here)
    # (unsorted: moto sorts what matches the index's key itself)
    assert listed[0] == 7
    assert listed[1] >= 21

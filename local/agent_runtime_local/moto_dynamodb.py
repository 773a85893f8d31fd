"""moto's DynamoDB, made cheaper without changing what it answers (decision 92's fourth pass; the first
three are in moto_patches.py).

Each change keeps moto's request handlers, its checks and their errors: it does what moto's own code
does, in fewer steps, where the answer can't differ. Each is registered as a named group of
replacements (moto_replacements.py), so a test or a benchmark can put moto's own code back for a while
(`moto_s_own`) and compare the two (tests/local/test_moto_dynamodb_speedups.py, bench/dynamo_ops.py).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

from agent_runtime_local.moto_replacements import PATCHES, expect_signature, install_once, moto_s_own
from agent_runtime_local.moto_replacements import replace as _replace

__all__ = ["PATCHES", "install", "moto_s_own"]


def install() -> None:
    install_once(
        __name__,
        [
            _dispatch_tree_nodes_by_type,
            _size_plain_values_directly,
            _keep_sizes_across_one_item_s_sets,
            _look_reserved_words_up_in_a_set,
            _parse_each_condition_text_once,
            _build_plain_answers_directly,
            _take_plain_request_values_as_they_are,
            _copy_plain_values_directly,
            _search_clauses_by_class,
            _query_only_the_key_s_partition,
        ],
    )


def _dispatch_tree_nodes_by_type() -> None:
    """moto validates an UpdateExpression in ten passes over its parse tree (a hundred-odd nodes for
    the runtime's dozen-attribute updates). At every node each pass asks whether it is a Node, then
    whether it is one of the classes it processes, and which: isinstance against moto's abstract base
    classes, a Python-level check each time, about a fifth of a transaction's CPU. The answers depend
    only on the node's class (the classes register no virtual subclasses), so each pass keeps them per
    class, and walks its tree with what it looked up once (its table, its hook) rather than per node;
    the walk, its order, its hooks and what it replaces are moto's."""
    from moto.dynamodb.parsing import ast_nodes

    traverser: Any = getattr(ast_nodes, "DepthFirstTraverser")  # noqa: B009 (untyped for mypy)
    node_class: Any = getattr(ast_nodes, "Node")  # noqa: B009
    original = vars(traverser)["traverse_node_recursively"]
    base_process, base_listing = traverser.process, traverser.nodes_to_be_processed
    base_hook = traverser.pre_processing_of_child
    is_node: dict[type, bool] = {}

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        cls = type(self)
        if cls.process is not base_process or cls.nodes_to_be_processed is not base_listing:
            return original(self, node, child_id)  # a pass that chooses its nodes its own way
        # A pass lives for one validation: its table of bound methods, and its answers, are kept on it.
        state: tuple[dict[type, Any], dict[type, Any]] | None = self.__dict__.get("_agent_runtime_by_type")
        if state is None:
            state = self.__dict__["_agent_runtime_by_type"] = (self._processing_map(), {})
        table, found = state
        hook = None if cls.pre_processing_of_child is base_hook else self.pre_processing_of_child

        def processor_of(kind: type) -> Callable[[Any], Any] | None:
            chosen = None
            for class_key, processor in table.items():
                if issubclass(kind, class_key):
                    chosen = processor
                    break
            found[kind] = chosen
            return chosen

        def walk(node: Any, child_id: int) -> Any:  # moto's traverse_node_recursively, its checks kept
            kind = type(node)
            node_like = is_node.get(kind)
            if node_like is None:
                node_like = is_node[kind] = isinstance(node, node_class)
            if not node_like:
                return node
            parent_node = node.parent
            if node.children is not None:
                for i, child_node in enumerate(node.children):
                    if hook is not None:
                        hook(node, i)
                    walk(child_node, i)
            processor = found[kind] if kind in found else processor_of(kind)
            if processor is not None:
                node = processor(node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
            return node

        return walk(node, child_id)

    _replace("tree dispatch", traverser, "traverse_node_recursively", traverse_node_recursively)

    # The pass that resolves attribute paths asks the same of every child's parent: is it one of the
    # four actions, whose first child is the path written and the others the values read?
    from moto.dynamodb.parsing import validators

    resolver: Any = getattr(validators, "ExpressionAttributeResolvingProcessor")  # noqa: B009
    actions = tuple(
        getattr(ast_nodes, f"UpdateExpression{action}Action") for action in ("Set", "Remove", "Delete", "Add")
    )
    is_action: dict[type, bool] = {}

    def pre_processing_of_child(self: Any, parent_node: Any, child_id: int) -> None:
        kind = type(parent_node)
        action = is_action.get(kind)
        if action is None:
            action = is_action[kind] = isinstance(parent_node, actions)
        if action:
            self.resolving = child_id != 0

    _replace("tree dispatch", resolver, "pre_processing_of_child", pre_processing_of_child)


# The AttributeValue types whose size moto sums from their members (DynamoType.is_set, is_list, is_map).
COMPOSITE_TYPES = frozenset({"SS", "NS", "BS", "L", "M"})


def _size_plain_values_directly() -> None:
    """Each top-level attribute an UpdateExpression sets goes through moto's LimitedSizeDict, which sums
    the size of every attribute of the item (to refuse one over DynamoDB's 400 KB) by calling
    DynamoType.size on each: four type tests and two calls per plain value, for each of the dozen
    attributes set on the runtime's 40-attribute items, a third of an Update's CPU here. A string,
    number, binary, boolean or null's size is computed directly, as moto computes it (the UTF-8 length,
    the digits, the bytes, 1); sets, lists and maps still go through moto's own size, and the sum and
    the limit are moto's."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    from agent_runtime_local.moto_patches import ITEM_SIZE_LIMIT

    typed: Any = dynamo_type.DynamoType
    limited: Any = dynamo_type.LimitedSizeDict
    moto_size = vars(typed)["size"]

    def size(self: Any) -> int:
        kind = self.type
        if kind == "N":
            return len(str(self.value))
        if kind in COMPOSITE_TYPES:
            return moto_size(self)  # type: ignore[no-any-return]
        value = self.value
        if isinstance(value, bool):
            return 1
        return len(value if isinstance(value, bytes) else value.encode("utf-8"))

    def size_of(member: Any) -> int:
        return size(member) if type(member) is typed else bytesize(str(member))

    def __setitem__(self: Any, key: str, value: Any) -> None:
        current_item_size = 0
        for name, member in dict.items(self):
            current_item_size += size_of(name) + size_of(member)
        if current_item_size + bytesize(key) + size_of(value) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self, key, value)

    _replace("item sizes", typed, "size", size)
    _replace("item sizes", limited, "__setitem__", __setitem__)


class _Keywords(list[str]):
    """moto's list of DynamoDB's reserved words, whose `in` is a set's."""

    def __init__(self, words: list[str]) -> None:
        super().__init__(words)
        self._set = frozenset(words)

    def __contains__(self, word: object) -> bool:
        return word in self._set


def _look_reserved_words_up_in_a_set() -> None:
    """moto checks every attribute name of a condition, an update's path and a projection against
    DynamoDB's 573 reserved words with `in` on a list: a scan of the whole list for every name that
    isn't one, about 5 µs each. The list is moto's, loaded once from its resource file; its `in` is
    answered from a set of the same words."""
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    words = ReservedKeywords.get_reserved_keywords()
    _replace("reserved words", ReservedKeywords, "KEYWORDS", _Keywords(words))


# Distinct condition texts whose tokens (and, without placeholders, parses) are kept: a handful here.
CONDITION_CACHE_LIMIT = 1024


def _parse_each_condition_text_once() -> None:
    """moto parses a transaction's or a write's ConditionExpression three times per item (checking the
    request, checking the condition, writing), each time splitting the text into tokens by trying six
    regular expressions at every position: a third of the parse. The tokens depend on the text alone,
    so each text is split once (what doesn't split raises from moto's lexer every time). A condition
    with no ExpressionAttributeNames or Values, such as the runtime's `attribute_not_exists(PK)`,
    depends on its text alone too: its parse is kept whole (the operator tree, which evaluating only
    reads, and the names moto records as used), so three parses of it cost one."""
    from collections import deque

    from moto.dynamodb import comparisons

    parser: Any = getattr(comparisons, "ConditionExpressionParser")  # noqa: B009 (untyped for mypy)
    lex, parse = vars(parser)["_lex_condition_expression"], vars(parser)["parse"]
    tokens: dict[str, tuple[tuple[str, str, str, str], ...]] = {}
    parsed: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {}

    def _lex_condition_expression(self: Any) -> Any:
        text = self.condition_expression
        found = tokens.get(text)
        if found is None:
            nodes = lex(self)
            if len(tokens) >= CONDITION_CACHE_LIMIT:
                tokens.clear()
            tokens[text] = tuple((n.nonterminal, n.kind, n.text, n.value) for n in nodes)
            return nodes
        node = self.Node
        return deque(node(nonterminal=a, kind=b, text=c, value=d, children=[]) for a, b, c, d in found)

    def parse_once(self: Any) -> Any:
        text = self.condition_expression
        if not text or self.expression_attribute_names or self.expression_attribute_values:
            return parse(self)
        found = parsed.get(text)
        if found is None:
            names, values = len(self.expr_attr_names_found), len(self.expr_attr_values_found)
            op = parse(self)
            if len(parsed) >= CONDITION_CACHE_LIMIT:
                parsed.clear()
            found = parsed[text] = (
                op,
                tuple(self.expr_attr_names_found[names:]),
                tuple(self.expr_attr_values_found[values:]),
            )
            return op
        op, names_found, values_found = found
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return op

    _replace("condition parse", parser, "_lex_condition_expression", _lex_condition_expression)
    _replace("condition parse", parser, "parse", parse_once)


def _keep_sizes_across_one_item_s_sets() -> None:
    """Sized directly, an Update still sums every attribute of the item on each attribute it sets: 14
    sets on the runtime's 40-attribute run item size 560 values. A plain value's size can't change
    while it is the same object holding the same type and payload (a str, bytes or bool: immutable),
    so the last item a thread wrote keeps each plain attribute's size with those three objects, and
    the sum takes a kept size only while all three are still what the attribute holds; anything else
    is sized again (by DynamoType.size). The sum, the limit and the order of the checks are moto's."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    from agent_runtime_local.moto_patches import ITEM_SIZE_LIMIT

    typed: Any = dynamo_type.DynamoType
    limited: Any = dynamo_type.LimitedSizeDict
    # Per thread: .item, the attributes last written; .sizes, name -> (value, type, payload, size)
    last = threading.local()

    def size_of(member: Any) -> int:
        return member.size() if type(member) is typed else bytesize(str(member))

    def __setitem__(self: Any, key: str, value: Any) -> None:
        if getattr(last, "item", None) is not self:
            last.item, last.sizes = self, {}
        sizes: dict[str, tuple[Any, Any, Any, int]] = last.sizes
        current_item_size = 0
        for name, member in dict.items(self):
            kept = sizes.get(name)
            if kept is not None and kept[0] is member and kept[1] is member.type and kept[2] is member.value:
                current_item_size += kept[3]
                continue
            size = size_of(name) + size_of(member)
            if type(member) is typed and type(member.value) in PLAIN_PAYLOADS:
                sizes[name] = (member, member.type, member.value, size)
            current_item_size += size
        if current_item_size + bytesize(key) + size_of(value) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self, key, value)

    _replace("sizes kept", limited, "__setitem__", __setitem__)


# The payloads of plain attribute values (S, N, B, BOOL, NULL), which can't change in place.
PLAIN_PAYLOADS = (str, bytes, bool)


def _build_plain_answers_directly() -> None:
    """Before serializing an answer holding items (GetItem, Query, a transaction's cancellation
    reasons), moto turns each item into plain dicts with dynamo_to_dict, which asks every attribute
    value and then its payload whether it is a datetime, a DynamoType, has to_json, is a dict or a
    list: ten checks per value of a 40-attribute item, a third of a GetItem's own CPU here. A
    DynamoType holding a str or bool (not binary, which moto decodes) becomes {type: payload}, a
    plain dict's (or an item's attributes') values are converted in turn, and a str, bool, int,
    float or None is itself: what moto's checks conclude for them. Anything else goes through
    moto's own."""
    from moto.dynamodb import responses
    from moto.dynamodb.models import dynamo_type, utilities

    typed: Any = dynamo_type.DynamoType
    original = vars(utilities)["dynamo_to_dict"]
    mappings = (dict, dynamo_type.LimitedSizeDict)  # an item's attributes are the latter
    as_is = (str, bool, int, float, type(None))
    payloads = (str, bool)

    def dynamo_to_dict(obj: Any) -> Any:
        kind = type(obj)
        if kind is typed:
            attribute_type = obj.type
            if attribute_type != "B" and attribute_type != "BS" and type(obj.value) in payloads:
                return {attribute_type: obj.value}
        elif kind in mappings:
            return {key: dynamo_to_dict(value) for key, value in obj.items()}
        elif kind in as_is:
            return obj
        return original(obj)

    _replace("answers built", utilities, "dynamo_to_dict", dynamo_to_dict)
    _replace("answers built", responses, "dynamo_to_dict", dynamo_to_dict)


def _take_plain_request_values_as_they_are() -> None:
    """moto parses every DynamoDB request's JSON body against the operation's input shape, walking each
    attribute value as an AttributeValue structure: ten member lookups per value, then each member's
    own handler, for a transaction's 40-attribute item about half of the request's parsing. What the
    walk builds from a value in wire form ({"S": "text"}, {"M": {...}}; moto_patches'
    _plain_attribute_value, which leaves binary to moto) is an equal dict of the same members, and the
    JSON it walks is the request's own, parsed for this request alone: such a value is taken as it is.
    Anything else, and any other protocol's parser, is moto's."""
    from moto.core import parse

    from agent_runtime_local.moto_patches import ATTRIBUTE_VALUE_MEMBERS, _plain_attribute_value

    json_parser: Any = parse.JSONParser
    original = vars(parse.BaseJSONParser)["_parse_structure"]

    def _parse_structure(self: Any, shape: Any, value: Any) -> Any:
        if (
            type(self) is json_parser
            and self.MAP_TYPE is dict
            and shape.name == "AttributeValue"
            and shape.members.keys() == ATTRIBUTE_VALUE_MEMBERS
            and _plain_attribute_value(value)
        ):
            return value
        return original(self, shape, value)

    _replace("plain values parsed", parse.BaseJSONParser, "_parse_structure", _parse_structure)


def _copy_plain_values_directly() -> None:
    """An Update deep-copies the item it changes twice (moto's copy of it as it was, for the stream
    record; the local stack's, to roll a failed transaction back), through copy.deepcopy and
    DynamoType.__deepcopy__ for each attribute. moto's copy of a plain value (a str, bytes or bool
    payload, which nothing in moto changes in place) is a new DynamoType with the same type and
    payload, entered in the copy's memo: made here without the two calls per value. Keys, sets, lists
    and maps are copied by moto's own code, with the same memo."""
    import copy

    from moto.dynamodb.models import dynamo_type

    typed: Any = dynamo_type.DynamoType
    item_class: Any = dynamo_type.Item
    limited: Any = dynamo_type.LimitedSizeDict
    new_value: Any = typed.__new__  # as DynamoType.__deepcopy__ makes its copy

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        if id(self) in memo:
            return memo[id(self)]
        result = self.__class__.__new__(self.__class__)  # moto's (its register: memory.py)
        memo[id(self)] = result
        result.hash_key = copy.deepcopy(self.hash_key, memo)
        result.range_key = copy.deepcopy(self.range_key, memo)
        attrs = limited.__new__(limited)
        dict.__init__(attrs)
        for key, value in self.attrs.items():
            if (
                type(value) is typed
                and value.type not in COMPOSITE_TYPES
                and type(value.value) in PLAIN_PAYLOADS
                and id(value) not in memo
            ):
                copied = new_value(typed)
                copied.type = value.type
                copied.value = value.value
                memo[id(value)] = copied
            else:
                copied = copy.deepcopy(value, memo)
            dict.__setitem__(attrs, key, copied)
        result.attrs = attrs
        return result

    _replace("item copies", item_class, "__deepcopy__", __deepcopy__)


def _search_clauses_by_class() -> None:
    """moto looks for an UpdateExpression's clauses (its names when checking the request, its actions
    when putting them in order) by walking the tree and asking each child, with isinstance against
    abstract classes, whether it is an Expression or a function to look into. The answer depends on the
    child's class alone, so it is kept per class; what is found, and in what order, is moto's."""
    from moto.dynamodb.parsing import ast_nodes

    node_class: Any = getattr(ast_nodes, "Node")  # noqa: B009 (untyped for mypy)
    into = (getattr(ast_nodes, "Expression"), getattr(ast_nodes, "UpdateExpressionFunction"))  # noqa: B009
    look_into: dict[type, bool] = {}

    def find_clauses(self: Any, clause_types: Any) -> list[Any]:
        clauses: list[Any] = []
        for child in self.children or []:
            kind = type(child)
            if kind in clause_types:
                clauses.append(child)
                continue
            deeper = look_into.get(kind)
            if deeper is None:
                deeper = look_into[kind] = isinstance(child, into)
            if deeper:
                clauses.extend(child.find_clauses(clause_types))
        return clauses

    _replace("clause search", node_class, "find_clauses", find_clauses)


# The table and partition key of the Query on a table's own key that this thread is answering, or
# _ANY_ORDER for a Query of one of its indexes.
_ANY_ORDER = object()
_queried_partition: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "queried_partition", default=None
)


def _query_only_the_key_s_partition() -> None:
    """moto answers a Query on a table's own key by listing every item of the table, sorting them all,
    then keeping those of the partition asked for: a Query cost what the whole table held (a test
    session's thousands of runs, a long dev session), though its answer is one partition's. The table
    keeps its items by partition key (Table.items), so for such a Query that list is made of the one
    partition, in moto's order; what moto does with it (key conditions, sort, filter, pages, limits)
    is unchanged. A Query of an index still lists the whole table, but not sorted first: moto sorts the
    index's matches itself, by the index's keys then the table's (a total order, the table's key being
    unique), so the order it listed them in can't show; sorting every item of the table by its key,
    each comparison a Python call, was four fifths of such a Query's CPU (55 ms at 5,000 items)."""
    from moto.dynamodb.models.table import Table

    original_query, original_all_items = vars(Table)["query"], vars(Table)["all_items"]
    expect_signature(
        original_query,
        [
            "self",
            "hash_key",
            "range_comparison",
            "range_objs",
            "limit",
            "exclusive_start_key",
            "scan_index_forward",
            "projection_expressions",
            "index_name",  # read by position below
            "consistent_read",
            "filter_expression",
            "hash_key_conditions",
            "range_key_conditions",
            "filter_kwargs",
        ],
    )

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if not index_name and hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        token = _queried_partition.set((self, _ANY_ORDER if index_name else hash_key))
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _queried_partition.reset(token)

    def all_items(self: Any) -> list[Any]:
        queried = _queried_partition.get()
        if queried is None or queried[0] is not self:
            return original_all_items(self)  # type: ignore[no-any-return]
        if queried[1] is _ANY_ORDER:
            if not self.range_key_attr:
                return list(self.items.values())
            return [item for partition in self.items.values() for item in partition.values()]
        partition = self.items.get(queried[1])  # .get: Table.items is a defaultdict
        if partition is None:
            return []
        items = list(partition.values()) if self.range_key_attr else [partition]
        return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    _replace("partition query", Table, "query", query)
    _replace("partition query", Table, "all_items", all_items)

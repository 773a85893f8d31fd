"""The changes the local stack makes to moto (besides the Lambda hook, lambda_bridge).

1. Every moto API call is atomic, as each call to the real service is: moto's backends are not
   thread-safe (two threads could both pass a DynamoDB condition), so every call but Lambda Invoke
   (which runs our handlers, which call moto again) takes its service's lock. One lock per service,
   not one for all: moto's backends share no state across services here (DynamoDB and its stream do,
   and share one), so a queue poll or an execution start never waits for a DynamoDB write.
2. A failed TransactWriteItems is rolled back from copies of the items it touched, not of whole tables.
   moto backs every transaction up with a deep copy of each table it names, once per item, so each
   commit cost grew with everything the table held: a long `make dev` session or test run slowed
   until executions starved. What a transaction changes is its items and the table's stream; both
   are restored exactly, so the outcome of every transaction is moto's own.
3. Writes are reported, inside their service's lock, to `write_committed` when it is set
   (persistence.py's journal): in each service's commit order, and before anyone can read them. Every
   answered call is reported to the `answered` listeners (the queue pollers wake on a send).
4. The Step Functions interpreter reuses one Lambda client per region: moto builds a new boto3 client
   for every Lambda task (~150 ms of CPU here, a third of an echo run). Its credentials and config are
   fixed, so one client behaves the same as many. It calls moto unsigned, as every local client
   (unsigned.py).
5. What moto redoes on every call though its answer never changes is done once: which handler serves a
   URL (moto scanned every service's URL patterns and rebuilt the chosen backend's URL table per call),
   the member names its
   response serializer tries on a dict, the parse tree of a state machine definition, each JSONPath,
   the list of a response class's methods, the parse tree of each DynamoDB UpdateExpression and its
   shape checks, each tree pass's processor table, the size of a new item; a
   DynamoDB attribute value already in its wire form is not walked member by member again.
   Together they were about 60% of an echo run's CPU here (bench/reports/profile-after.md).

tests/local/test_moto_hook.py fails loudly if moto changes under these patches, and
tests/local/test_moto_speedups.py checks that the caches change nothing moto answers.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent_runtime_local.moto_replacements import expect_signature as _expect_signature

# The lock of DynamoDB and its stream: the one a test takes to keep other writers out of the table.
moto_lock = threading.RLock()
_service_locks: dict[str, threading.RLock] = {"dynamodb": moto_lock}
_service_locks_guard = threading.Lock()
# Called with ("before-send.<service>.<Operation>", HTTP status) after moto answers a DynamoDB or S3
# call, still inside moto_lock; None (the default) costs nothing.
write_committed: Callable[[str, int], None] | None = None
# Called with the event name ("before-send.sqs.SendMessage") after moto answers any call, outside
# its lock: the queue pollers listen for sends instead of polling an empty queue ten times a second.
answered: list[Callable[[str], None]] = []
# Set while a transaction runs: moto's table backup is then the table itself (ours is item-level).
_sharing_tables: contextvars.ContextVar[bool] = contextvars.ContextVar("sharing_tables", default=False)


def install() -> None:
    _route_each_url_once()
    _serialize_requests()
    _roll_back_touched_items_only()
    _reuse_lambda_clients()
    _cache_response_aliases()
    _parse_each_definition_once()
    _forget_finished_threads()
    _parse_each_json_path_once()
    _list_response_methods_once()
    _parse_each_update_expression_once()
    _check_each_expression_shape_once()
    _look_processors_up_once()
    _size_each_new_item_once()
    _pass_plain_attribute_values_through()


def service_lock(service: str) -> threading.RLock:
    """The lock of one moto service ("dynamodb" for DynamoDB and its stream; "s3" for S3; else the
    endpoint's name, e.g. "sqs", "states")."""
    lock = _service_locks.get(service)
    if lock is None:
        with _service_locks_guard:
            lock = _service_locks.setdefault(service, threading.RLock())
    return lock


def _service_of(url: str) -> str:
    host = url.split("/", 3)[2] if "://" in url else url
    if "dynamodb" in host:
        return "dynamodb"  # dynamodb.<region>... and streams.dynamodb.<region>...
    if host.startswith("s3.") or ".s3." in host or host.startswith("s3-"):
        return "s3"  # path style (s3.amazonaws.com/bucket) and virtual hosts (bucket.s3...)
    return host.split(".", 1)[0]


# Distinct request URLs (scheme, host and path) whose moto handler is kept: a few dozen here; each S3
# object key is one, so the table is bounded.
ROUTE_CACHE_LIMIT = 4096


def _route_each_url_once() -> None:
    """moto finds the handler of every request by matching its URL against each service's patterns in
    turn (about 250), then rebuilding the chosen backend's URL table and matching that: about a tenth
    of an echo run's CPU here, for an answer fixed by the URL once moto is configured. The handler moto
    picks for a URL (scheme, host, path) is kept, and the request goes to it as moto's own dispatch
    sends it (the same request object, recorder and HTTPException answer). URLs that moto rewrites
    (ISO regions, custom S3 endpoints), passes through or refuses, or has no handler for, go through
    moto's own process_request every time."""
    from moto.core import botocore_stubber

    stubber = botocore_stubber.BotocoreStubber
    original = stubber.process_request
    if getattr(original, "_routed_once", False):
        return
    _expect_signature(original, ["self", "request"])
    routes: dict[str, Callable[..., Any]] = {}

    def process_request(self: Any, request: Any) -> Any:
        url = request.url.split("?", 1)[0].split("#", 1)[0]
        handler = routes.get(url)
        if handler is None:
            handler = _moto_handler(url)
            if handler is None:
                return original(self, request)
            if len(routes) >= ROUTE_CACHE_LIMIT:
                routes.clear()
            routes[url] = handler
        from moto.core.request import normalize_request
        from moto.moto_api import recorder
        from werkzeug.exceptions import HTTPException

        normalized = normalize_request(request)
        try:
            recorder._record_request(normalized)
            status, headers, body = handler(normalized, normalized.raw_url, normalized.headers)
        except HTTPException as error:
            status, headers, body = error.code, error.get_headers(), error.get_body()
        return status, headers, body

    process_request._routed_once = True  # type: ignore[attr-defined]
    process_request.__wrapped__ = original  # type: ignore[attr-defined]
    stubber.process_request = process_request  # type: ignore[method-assign]


def _moto_handler(url: str) -> Callable[..., Any] | None:
    """The handler moto's BotocoreStubber.process_request dispatches `url` (no query) to, found as it
    finds it; None where it would not dispatch it as it is (see _route_each_url_once)."""
    import re
    import urllib.parse

    import moto.backend_index as backend_index
    import moto.backends as backends
    from moto.core.base_backend import BackendDict
    from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.core.utils import get_equivalent_url_in_aws_domain

    parsed, rewritten = get_equivalent_url_in_aws_domain(url)
    clean_url = f"{parsed.scheme}://{parsed.netloc}{parsed.path}"
    if rewritten or clean_url != url or urllib.parse.urlparse(url).params or passthrough_url(clean_url):
        return None
    for service, pattern in backend_index.backend_url_patterns:
        if not pattern.match(clean_url):
            continue
        if passthrough_service(service) or not service_whitelisted(service):
            return None
        backend_dict: Any = backends.get_backend(service)  # type: ignore[call-overload]
        if isinstance(backend_dict, BackendDict):
            regions = backend_dict[DEFAULT_ACCOUNT_ID]
            backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        else:
            backend = backend_dict["global"]
        for pattern_of_url, handler in backend.urls.items():
            if re.compile(pattern_of_url).match(clean_url):
                return handler  # type: ignore[no-any-return]
        # no path of this service's matched: moto tries the next service's patterns
    return None


def _serialize_requests() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.process_request, "_serialized", False):
        return
    original = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        if "/functions/" in request.url and request.url.endswith("/invocations"):
            return original(self, request)
        with service_lock(_service_of(request.url)):
            return original(self, request)

    original_call = BotocoreStubber.__call__
    _expect_signature(original_call, ["self", "event_name", "request", "kwargs"])

    def call(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        report = write_committed
        if report is None or not event_name.startswith(("before-send.dynamodb.", "before-send.s3.")):
            response = original_call(self, event_name, request, **kwargs)
        else:
            with service_lock(_service_of(request.url)):
                response = original_call(self, event_name, request, **kwargs)
                if response is not None:
                    report(event_name, response.status_code)
        for listener in answered:
            listener(event_name)
        return response

    process_request._serialized = True  # type: ignore[attr-defined]
    process_request.__wrapped__ = original  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    BotocoreStubber.__call__ = call  # type: ignore[method-assign]


@dataclass
class _Backup:
    """The items a transaction may write, as they were, and the length of each touched stream."""

    items: list[tuple[Any, Any, Any, Any]] = field(default_factory=list)  # (table, hash, range, item)
    streams: list[tuple[Any, int]] = field(default_factory=list)
    _seen: set[tuple[int, str, str]] = field(default_factory=set)

    @classmethod
    def of(cls, backend: Any, transact_items: list[dict[str, Any]]) -> _Backup:
        from moto.dynamodb.models.dynamo_type import DynamoType

        backup = cls()
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = backend.tables[op["TableName"]]
                key = op["Item"] if op_type == "Put" else op["Key"]
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except (KeyError, TypeError, AttributeError, StopIteration):
                continue  # moto rejects this entry before writing anything for it
            seen = (id(table), str(hash_value), str(range_value))
            if seen in backup._seen:
                continue
            backup._seen.add(seen)
            current = table.get_item(hash_value, range_value)
            backup.items.append((table, hash_value, range_value, copy.deepcopy(current)))
            shard = table.stream_shard
            if shard is not None and all(s is not shard for s, _ in backup.streams):
                backup.streams.append((shard, len(shard.items)))
        return backup

    def restore(self) -> None:
        for table, hash_value, range_value, item in self.items:
            if table.range_key_attr:
                if item is None:
                    table.items.get(hash_value, {}).pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = item
            elif item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        for shard, length in self.streams:
            del shard.items[length:]


def _roll_back_touched_items_only() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "_item_level_rollback", False):
        return
    original = DynamoDBBackend.transact_write_items
    _expect_signature(original, ["self", "transact_items"])

    @functools.wraps(original)  # __wrapped__: moto's own, for bench/local_stack.py's comparison
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        backup = _Backup.of(self, transact_items)
        token = _sharing_tables.set(True)
        try:
            return original(self, transact_items)
        except Exception:
            backup.restore()
            raise
        finally:
            _sharing_tables.reset(token)

    def table_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        if _sharing_tables.get():
            return self
        # Elsewhere a table deep-copies as if it had no __deepcopy__ of its own.
        clone = Table.__new__(Table)
        memo[id(self)] = clone
        clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return clone

    transact_write_items._item_level_rollback = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.__deepcopy__ = table_deepcopy  # type: ignore[attr-defined]


def _reuse_lambda_clients() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = getattr(lambda_eval_utils, "boto_client_for")  # noqa: B009 (not re-exported for mypy)
    if getattr(original, "_reused", False):
        return
    _expect_signature(original, ["region", "service", "state_credentials"])
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        from agent_runtime_local.unsigned import unsigned

        with lock:
            if (region, service) not in clients:
                client = original(region, service, state_credentials)
                unsigned(client)
                clients[(region, service)] = client
            return clients[(region, service)]

    boto_client_for._reused = True  # type: ignore[attr-defined]
    setattr(lambda_eval_utils, "boto_client_for", boto_client_for)  # noqa: B010


# Distinct (member, shape, parent shape) triples are bounded by the service models; this only guards.
ALIAS_CACHE_LIMIT = 50_000


def _cache_response_aliases() -> None:
    """moto 5.2 serializes a response by trying, for every member of the output model, the names its
    alias providers derive (shape name, key, prefixes, snake_case) on the result. For a plain dict those
    names depend only on the member's key, its shape and that shape's parent, yet moto derives them
    again for every value: a third of an echo run's CPU went to serializing DynamoDB items and stream
    records. The names are cached per (key, shape, parent), in moto's order, and looked up with
    dict.get (a plain dict's [] without the KeyError), so the same value is picked."""
    from moto.core import serialize
    from moto.core.utils import get_value as get_value_at

    serializer = serialize.ResponseSerializer
    if getattr(serializer.get_value, "_cached_aliases", False):
        return
    original = serializer.get_value
    _expect_signature(original, ["self", "value", "key", "shape"])
    names: dict[tuple[str, int, int], tuple[Any, Any, tuple[str, ...]]] = {}
    absent = object()

    def get_value(self: Any, value: Any, key: str, shape: Any) -> Any:
        picker = self._value_picker
        if (
            type(value) is not dict
            or type(picker) is not serialize.XFormedAttributePicker
            or picker.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS
            or picker.response_transformers
        ):
            return original(self, value, key, shape)
        parent = getattr(shape, "parent", None)
        cache_key = (key, id(shape), id(parent))
        cached = names.get(cache_key)
        if cached is None:
            if len(names) >= ALIAS_CACHE_LIMIT:
                names.clear()
            context = serialize.AttributePickerContext(obj=value, key=key, shape=shape)
            # The shapes are held with their names, so their ids are not reused while cached.
            cached = names[cache_key] = (shape, parent, tuple(picker.get_possible_keys(context)))
        for name in cached[2]:
            found = get_value_at(value, name, absent) if "." in name else value.get(name, absent)
            if found is not absent:
                return found
        return None

    get_value._cached_aliases = True  # type: ignore[attr-defined]
    serializer.get_value = get_value  # type: ignore[method-assign]


# State machine definitions whose parse trees are kept (the local stack has one; tests a few).
PARSE_CACHE_LIMIT = 64


@dataclass(frozen=True)
class _FrozenProgram:
    """A program as no execution has run it: itself without its top-level states, and each of those
    states on its own (the states share no object with each other or with the rest that they could
    change: tests/local/test_moto_speedups.py)."""

    rest: bytes
    states: dict[str, bytes]

    @classmethod
    def of(cls, program: Any) -> _FrozenProgram:
        import pickle

        states = program.states.states
        program.states.states = {}
        try:
            rest = pickle.dumps(program, pickle.HIGHEST_PROTOCOL)
        finally:
            program.states.states = states
        return cls(
            rest, {name: pickle.dumps(state, pickle.HIGHEST_PROTOCOL) for name, state in states.items()}
        )


def _parse_each_definition_once() -> None:
    """moto's Step Functions interpreter parses the state machine's definition with ANTLR (pure
    Python) for every execution, then builds the execution's program from the parse tree: a quarter of
    an echo run's CPU, then (the parse kept) a tenth. Both depend only on the definition's text, so the
    first execution's program is pickled before it runs, and each later execution gets its own program
    unpickled from that: the same objects a fresh Preprocessor builds, shared with no other execution,
    in a twentieth of the time (0.2 vs 4.1 ms for run.asl.json). Each top-level state is pickled on its
    own and unpickled when the execution first enters it (Program._get_state, the one reader of a
    program's states once it runs): an echo run enters 3 of run.asl.json's 8, and its program costs
    0.18 instead of 1.0 ms. A program that can't be pickled is built from the kept tree each time, as
    before; a definition with syntax errors raises from moto's own parse every time."""
    import pickle
    import weakref

    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original = AmazonStateLanguageParser.parse
    if getattr(original, "_parse_once", False):
        return
    _expect_signature(original, ["definition"])
    # definition -> (its parse tree, its unrun program or None)
    parsed: dict[str, tuple[Any, _FrozenProgram | None]] = {}
    # an execution's program -> its states not entered yet
    unentered: weakref.WeakKeyDictionary[Any, dict[str, bytes]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def parse(definition: str) -> tuple[Any, Any]:
        with lock:
            kept = parsed.get(definition)
        if kept is None:
            program, tree = original(definition)
            try:
                frozen: _FrozenProgram | None = _FrozenProgram.of(program)
            except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
                frozen = None
            with lock:
                if len(parsed) >= PARSE_CACHE_LIMIT:
                    parsed.clear()
                parsed[definition] = (tree, frozen)
            return program, tree
        tree, frozen = kept
        if frozen is None:
            return Preprocessor().visit(tree), tree
        program = pickle.loads(frozen.rest)  # noqa: S301 (our own pickle of moto's program)
        with lock:
            unentered[program] = dict(frozen.states)
        return program, tree

    get_state = Program._get_state
    _expect_signature(get_state, ["self", "state_name"])

    def _get_state(self: Any, state_name: str) -> Any:
        with lock:
            pending = unentered.get(self)
            frozen_state = pending.pop(state_name, None) if pending is not None else None
        if frozen_state is not None:
            self.states.states[state_name] = pickle.loads(frozen_state)  # noqa: S301 (our own pickle)
        return get_state(self, state_name)

    parse._parse_once = True  # type: ignore[attr-defined]
    AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign]
    Program._get_state = _get_state  # type: ignore[method-assign]


def _forget_finished_threads() -> None:
    """moto's Step Functions interpreter appends every thread it starts (an execution's, its program's,
    each state's with a timeout: three per echo run) to one module-level list that nothing reads or
    clears: about 6.5 KB per run held for the life of the process. Each execution's start drops the
    threads that have finished from that list first, so it holds the live ones only."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.utils import TMP_THREADS

    original: Callable[[Any], None] = ExecutionWorker.start
    if getattr(original, "_forgets", False):
        return
    _expect_signature(original, ["self"])

    def start(self: Any) -> None:
        TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
        original(self)

    start._forgets = True  # type: ignore[attr-defined]
    ExecutionWorker.start = start  # type: ignore[method-assign]


def _parse_each_json_path_once() -> None:
    """The interpreter also parses every JSONPath (InputPath, Parameters' "x.$": "$.y", ResultPath ...)
    with jsonpath_ng's yacc parser each time it evaluates one. A parsed path is an immutable expression
    that only reads or updates the data it is applied to, so each path string is parsed once: through
    the interpreter's own helper (jsonpath_ng.ext's grammar) and in ResultPath, which imports
    jsonpath_ng's plain parse itself."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    for module in (json_path, result_path):
        parse = getattr(module, "parse")  # noqa: B009 (not re-exported for mypy)
        if getattr(parse, "_parse_once", False):
            continue
        cached = functools.lru_cache(maxsize=1024)(parse)
        cached._parse_once = True  # type: ignore[attr-defined]
        setattr(module, "parse", cached)  # noqa: B010 (not re-exported for mypy)


def _list_response_methods_once() -> None:
    """moto lists a response class's methods with inspect.getmembers on every call it dispatches, to
    check the action is one of them (4% of an echo run's CPU here). A class's methods are fixed once
    moto is imported and patched (install runs first), so each class's list is made once."""
    from moto.core import responses

    original = getattr(responses, "method_names_from_class")  # noqa: B009 (not re-exported for mypy)
    if getattr(original, "_listed_once", False):
        return
    _expect_signature(original, ["clazz"])
    cached = functools.cache(original)
    cached._listed_once = True  # type: ignore[attr-defined]
    setattr(responses, "method_names_from_class", cached)  # noqa: B010 (not re-exported for mypy)


# Distinct UpdateExpression texts whose parse trees are kept (the runtime writes a few dozen shapes).
UPDATE_EXPRESSION_CACHE_LIMIT = 1024


def _parse_each_update_expression_once() -> None:
    """moto parses an Update's UpdateExpression twice per call (checking the request, then applying it)
    and deep-copies the tree before each validation, which rewrites the copy: 13% of an echo run's CPU
    here. The tree depends only on the expression's text and moto only reads it (find_clauses) or
    copies it, so each text is parsed once, and its copies are unpickled from one pickle of it (a fifth
    of what a deepcopy costs; the same tree). An expression moto can't parse raises from moto's own
    parser every time (failures are not cached)."""
    import pickle

    from moto.dynamodb.parsing import expressions, validators

    parser: Any = getattr(expressions, "UpdateExpressionParser")  # noqa: B009 (untyped for mypy)
    original = parser.make.__func__
    if getattr(original, "_parse_once", False):
        return
    _expect_signature(original, ["cls", "expression_str"])
    trees: dict[str, Any] = {}
    # id of a cached tree -> (the tree, kept so its id is not reused; its pickle)
    pickles: dict[int, tuple[Any, bytes]] = {}
    lock = threading.Lock()

    def make(cls: Any, expression_str: str) -> Any:
        tree = trees.get(expression_str)
        if tree is None or cls is not parser:
            tree = original(cls, expression_str)
            if cls is not parser:
                return tree
            with lock:
                if len(trees) >= UPDATE_EXPRESSION_CACHE_LIMIT:
                    trees.clear()
                    pickles.clear()
                # Copies (unpickled) carry the text: _check_each_expression_shape_once's key.
                tree.agent_runtime_expression = expression_str
                trees[expression_str] = tree
                pickles[id(tree)] = (tree, pickle.dumps(tree, pickle.HIGHEST_PROTOCOL))
        return tree

    def deepcopy(value: Any, memo: Any = None) -> Any:
        cached = pickles.get(id(value))
        if cached is not None and cached[0] is value and memo is None:
            return pickle.loads(cached[1])  # noqa: S301 (our own pickle of moto's parse tree)
        return copy.deepcopy(value, memo)

    make._parse_once = True  # type: ignore[attr-defined]
    make._original = original  # type: ignore[attr-defined]
    parser.make = classmethod(make)
    setattr(validators, "deepcopy", deepcopy)  # noqa: B010 (not re-exported for mypy)


# Expression texts (with their attribute names) whose shape checks passed: a few dozen here.
SHAPE_CHECK_CACHE_LIMIT = 4096


def _check_each_expression_shape_once() -> None:
    """Of the ten passes moto makes over an UpdateExpression's tree on each Update, the first two check
    only its shape: at most one SET, ADD and REMOVE clause, and no two actions on overlapping paths
    (with ExpressionAttributeNames resolved). Each does so at every node of the tree, collecting the
    clauses below it again: quadratic in the expression, a third of a transaction's CPU here for the
    runtime's dozen-attribute updates. They read only the tree, which moto parses from the text alone
    (and has not changed yet when they run), and the names: so a text (with the same names) that
    passed them once passes them again and they are skipped; one that failed fails in moto's own
    check every time (failures are not kept). Trees that don't come from the parse cache (no text on
    them) are always checked."""
    from moto.dynamodb.parsing import validators

    passed: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
    lock = threading.Lock()
    for checker in (validators.ActionCountValidator, validators.OverlappingPathsValidator):
        original = checker.traverse
        if getattr(original, "_checked_once", False):
            continue
        _expect_signature(original, ["self", "node"])

        def traverse(self: Any, node: Any, _original: Any = original) -> Any:
            text = getattr(node, "agent_runtime_expression", None)
            if text is None:
                return _original(self, node)
            names = getattr(self, "expression_attribute_names", None) or {}
            key = (type(self).__name__, text, tuple(sorted(names.items())))
            if key in passed:
                return node
            node = _original(self, node)
            with lock:
                if len(passed) >= SHAPE_CHECK_CACHE_LIMIT:
                    passed.clear()
                passed.add(key)
            return node

        traverse._checked_once = True  # type: ignore[attr-defined]
        checker.traverse = traverse


def _look_processors_up_once() -> None:
    """moto's tree passes build their {node class: processor} table twice for every node they visit
    (to test the node's class, then to pick its processor). Each pass's table holds only its own bound
    methods, fixed for its life (one Update), so it is built once per pass and kept on it."""
    from moto.dynamodb.parsing import ast_nodes

    traverser: Any = getattr(ast_nodes, "DepthFirstTraverser")  # noqa: B009 (untyped for mypy)
    if getattr(traverser.process, "_looked_up_once", False):
        return
    _expect_signature(traverser.process, ["self", "node"])
    _expect_signature(traverser.nodes_to_be_processed, ["self"])

    def table(self: Any) -> dict[type, Callable[[Any], Any]]:
        found: dict[type, Callable[[Any], Any]] | None = self.__dict__.get("_agent_runtime_processors")
        if found is None:
            found = self.__dict__["_agent_runtime_processors"] = self._processing_map()
        return found

    def nodes_to_be_processed(self: Any) -> tuple[type, ...]:
        return tuple(table(self))

    def process(self: Any, node: Any) -> Any:
        for class_key, processor in table(self).items():
            if isinstance(node, class_key):
                return processor(node)
        return None

    process._looked_up_once = True  # type: ignore[attr-defined]
    traverser.nodes_to_be_processed = nodes_to_be_processed
    traverser.process = process


def _size_each_new_item_once() -> None:
    """moto builds an item (every Put, and every Update of a new item) one attribute at a time into a
    dict that sums the size of every attribute already in it on each insert, to refuse items over
    DynamoDB's 400 KB: quadratic in the attributes. The sizes of the attributes already in a new item
    don't change while it is built, so the sum is kept as it goes; each attribute is converted and
    checked in moto's order, and the first one that takes the item over moto's limit raises moto's
    ItemSizeTooLarge, as it would have."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    item_class = dynamo_type.Item
    if getattr(item_class.__init__, "_sized_once", False):
        return
    _expect_signature(item_class.__init__, ["self", "hash_key", "range_key", "attrs"])
    limited, typed = dynamo_type.LimitedSizeDict, dynamo_type.DynamoType
    _expect_signature(limited.__setitem__, ["self", "key", "value"])

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        self.attrs = limited()
        size = 0
        for key, value in attrs.items():
            converted = typed(value)
            size += bytesize(key) + converted.size()
            if size > ITEM_SIZE_LIMIT:
                raise ItemSizeTooLarge
            dict.__setitem__(self.attrs, key, converted)

    __init__._sized_once = True  # type: ignore[attr-defined]
    __init__.__wrapped__ = item_class.__init__  # type: ignore[attr-defined]
    item_class.__init__ = __init__  # type: ignore[method-assign]


# moto's limit on an item's size (LimitedSizeDict.__setitem__): between the 400 KB DynamoDB documents
# and the 409-410 KB it measured.
ITEM_SIZE_LIMIT = 405_000


# The members of DynamoDB's (and DynamoDB Streams') AttributeValue shape.
ATTRIBUTE_VALUE_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})


def _plain_attribute_value(value: Any) -> bool:
    """Whether `value` is an AttributeValue moto's JSON serializer would write out unchanged: one
    member, strings where the model has strings, booleans where it has booleans, and M and L made of
    such values. Binary (B, BS) is left to moto, which base64-encodes it."""
    if type(value) is not dict or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in ("S", "N"):
        return type(inner) is str
    if kind in ("NULL", "BOOL"):
        return type(inner) is bool
    if kind in ("SS", "NS"):
        return type(inner) is list and all(type(member) is str for member in inner)
    if kind == "M":
        return type(inner) is dict and all(
            type(name) is str and _plain_attribute_value(member) for name, member in inner.items()
        )
    if kind == "L":
        return type(inner) is list and all(_plain_attribute_value(member) for member in inner)
    return False


def _pass_plain_attribute_values_through() -> None:
    """moto serializes every DynamoDB item it answers (GetItem, Query, stream records) by walking each
    attribute value against the AttributeValue shape, member by member, though what it holds is
    already the wire form ({"S": "text"}, {"M": {...}}): a tenth of an echo run's CPU here. A value
    that _plain_attribute_value accepts is written as it is, which is what that walk produces for it
    (tests/local/test_moto_speedups.py compares the two); any other goes through moto's."""
    from moto.core import serialize

    serializer = serialize.BaseJSONSerializer
    original = serializer._serialize_type_structure
    if getattr(original, "_plain_values", False):
        return
    _expect_signature(original, ["self", "serialized", "value", "shape", "key"])

    @functools.wraps(original)  # __wrapped__: moto's own, for the test that compares the two
    def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and shape.name == "AttributeValue"
            and shape.members.keys() == ATTRIBUTE_VALUE_MEMBERS
            and _plain_attribute_value(value)
        ):
            serialized[self.get_serialized_name(shape, key)] = value
            return
        original(self, serialized, value, shape, key)

    _serialize_type_structure._plain_values = True  # type: ignore[attr-defined]
    serializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]

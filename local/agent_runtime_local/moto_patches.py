"""The changes the local stack makes to moto (besides the Lambda hook, lambda_bridge).

1. Every moto API call is atomic, as each call to the real service is: moto's backends are not
   thread-safe (two threads could both pass a DynamoDB condition), so every call but Lambda Invoke
   (which runs our handlers, which call moto again) takes one lock.
2. A failed TransactWriteItems is rolled back from copies of the items it touched, not of whole tables.
   moto backs every transaction up with a deep copy of each table it names, once per item, so each
   commit cost grew with everything the table held: a long `make dev` session or test run slowed
   until executions starved. What a transaction changes is its items and the table's stream; both
   are restored exactly, so the outcome of every transaction is moto's own.
3. The Step Functions interpreter reuses one Lambda client per region: moto builds a new boto3 client
   for every Lambda task (~150 ms of CPU here, a third of an echo run). Its credentials and config are
   fixed, so one client behaves the same as many.

tests/integration/test_moto_hook.py fails loudly if moto changes under these patches.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import threading
from dataclasses import dataclass, field
from typing import Any

moto_lock = threading.RLock()
# Set while a transaction runs: moto's table backup is then the table itself (ours is item-level).
_sharing_tables: contextvars.ContextVar[bool] = contextvars.ContextVar("sharing_tables", default=False)


def _expect_signature(function: Any, parameters: list[str]) -> None:
    import inspect

    if list(inspect.signature(function).parameters) != parameters:
        raise RuntimeError(
            f"moto's {function.__qualname__}({', '.join(parameters)}) changed; the local stack's patch of it "
            "(local/agent_runtime_local/moto_patches.py) needs checking against the pinned moto version."
        )


def install() -> None:
    _serialize_requests()
    _roll_back_touched_items_only()
    _reuse_lambda_clients()


def _serialize_requests() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.process_request, "_serialized", False):
        return
    original = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        if "/functions/" in request.url and request.url.endswith("/invocations"):
            return original(self, request)
        with moto_lock:
            return original(self, request)

    process_request._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


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
        with lock:
            if (region, service) not in clients:
                clients[(region, service)] = original(region, service, state_credentials)
            return clients[(region, service)]

    boto_client_for._reused = True  # type: ignore[attr-defined]
    setattr(lambda_eval_utils, "boto_client_for", boto_client_for)  # noqa: B010

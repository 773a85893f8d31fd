"""The one place that speaks DynamoDB's wire shapes: plain values <-> attribute values, conditional
writes, transactions, paging and error codes. Repositories build on `Table`; a test can hand a
`Table` a stubbed or moto client.

Items hold strings, numbers, booleans and nulls only; JSON documents are stored as strings, so floats
and nesting never meet DynamoDB's type rules.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_runtime.errors import is_transient
from agent_runtime.store.errors import ConditionFailed, InvalidCursor, Transient

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb import DynamoDBClient

CANCELLED_CODES = frozenset({"TransactionCanceledException", "TransactionConflict"})
BATCH_WRITE_LIMIT = 25


def client_error() -> type[ClientError]:
    """botocore's ClientError, imported on first use: by then the client that raises it has loaded
    botocore anyway, and handlers that never call AWS (or only later) start faster."""
    from botocore.exceptions import ClientError

    return ClientError


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"unsupported item value {type(value).__name__}")


def from_attr(attr: Mapping[str, Any]) -> Any:
    if "S" in attr:
        return attr["S"]
    if "N" in attr:
        return int(attr["N"])
    if "BOOL" in attr:
        return attr["BOOL"]
    if "NULL" in attr:
        return None
    raise TypeError(f"unsupported attribute {sorted(attr)}")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_attr(v) for k, v in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    """An opaque cursor for a LastEvaluatedKey (or the key a page would have ended on)."""
    return base64.urlsafe_b64encode(json.dumps(dict(last_key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("not a cursor this API issued") from error
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise InvalidCursor("not a cursor this API issued")
    return values


def _raise_transient(error: ClientError) -> None:
    if is_transient(error):  # throttling, capacity, a 5xx: agent_runtime.errors.TRANSIENT_CODES
        raise Transient(str(error)) from error


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    last_key: dict[str, Any] | None  # plain values


@dataclass
class Table:
    """One DynamoDB table, spoken to in plain values (keys and items are dicts of str/int/bool/None)."""

    client: DynamoDBClient
    name: str

    # -- single items ----------------------------------------------------------------------------
    def get(self, key: Mapping[str, Any], *, consistent: bool = True) -> dict[str, Any] | None:
        try:
            response = self.client.get_item(TableName=self.name, Key=to_item(key), ConsistentRead=consistent)
        except client_error() as error:
            _raise_transient(error)
            raise
        item = response.get("Item")
        return from_item(item) if item is not None else None

    def put(self, item: Mapping[str, Any], *, condition: str | None = None, **expression: Any) -> None:
        """Write the item; ConditionFailed if `condition` does not hold (nothing is written)."""
        self._write(self.client.put_item, self.put_entry(item, condition=condition, **expression)["Put"])

    def update(
        self,
        key: Mapping[str, Any],
        fields: Mapping[str, Any],
        *,
        condition: str | None = None,
        **expression: Any,
    ) -> None:
        """SET `fields` on the item; ConditionFailed if `condition` does not hold."""
        self._write(
            self.client.update_item,
            self.update_entry(key, fields, condition=condition, **expression)["Update"],
        )

    def update_expression(
        self,
        key: Mapping[str, Any],
        expression: str,
        *,
        condition: str,
        values: Mapping[str, Any],
        names: Mapping[str, str] | None = None,
        return_item: bool = False,
    ) -> dict[str, Any] | None:
        """An update written as an expression (e.g. an atomic increment, which needs no read first).
        `return_item`: the whole item as the update left it (ReturnValues ALL_NEW: no read, no read
        units), instead of None."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_item(key),
            "UpdateExpression": expression,
        }
        _add_condition(request, condition, values, names)
        if return_item:
            request["ReturnValues"] = "ALL_NEW"
        response = self._write(self.client.update_item, request)
        return from_item(response["Attributes"]) if return_item else None

    def delete(self, key: Mapping[str, Any]) -> None:
        self._write(self.client.delete_item, {"TableName": self.name, "Key": to_item(key)})

    def _write(self, call: Any, request: dict[str, Any]) -> Any:
        try:
            return call(**request)
        except client_error() as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise ConditionFailed(str(error)) from error
            _raise_transient(error)
            raise

    # -- transaction entries ---------------------------------------------------------------------
    def put_entry(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": self.name, "Item": to_item(item)}
        _add_condition(request, condition, values, names)
        return {"Put": request}

    def update_entry(
        self,
        key: Mapping[str, Any],
        fields: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
        remove: Sequence[str] = (),
        add: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """SET every field (names and values bound as #fN/:fN, so any attribute name works), and REMOVE
        the attributes `remove` names (a sparse index's key: a NULL can't be an index key), and ADD the
        numbers of `add` to theirs."""
        all_names = {f"#f{i}": name for i, name in enumerate(fields)}
        all_names.update({f"#r{i}": name for i, name in enumerate(remove)})
        all_values = {f":f{i}": value for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        if remove:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        if add:  # atomic counters: ADD to a number (absent counts as 0)
            all_names.update({f"#a{i}": name for i, name in enumerate(add)})
            all_values.update({f":a{i}": value for i, value in enumerate(add.values())})
            expression += " ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(add)))
        request: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_item(key),
            "UpdateExpression": expression,
        }
        _add_condition(request, condition, {**all_values, **(values or {})}, {**all_names, **(names or {})})
        return {"Update": request}

    def transact(self, entries: Sequence[Mapping[str, Any]]) -> list[str] | None:
        """Write the entries all or nothing. None on success; when DynamoDB cancels the transaction,
        the cancellation code of each entry ("None" for those that did not cause it)."""
        try:
            self.client.transact_write_items(TransactItems=list(entries))  # type: ignore[arg-type]
            return None
        except client_error() as error:
            if error_code(error) in CANCELLED_CODES:
                reasons = error.response.get("CancellationReasons") or []
                return [str(reason.get("Code") or "None") for reason in reasons] or ["Unknown"]
            _raise_transient(error)
            raise

    # -- queries ---------------------------------------------------------------------------------
    def query_page(
        self,
        key_condition: str,
        values: Mapping[str, Any],
        *,
        index: str | None = None,
        names: Mapping[str, str] | None = None,
        filter_expression: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        start: Mapping[str, Any] | None = None,
        projection: str | None = None,
    ) -> Page:
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": not newest_first,
        }
        if index:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True  # base-table reads see every committed write
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        if filter_expression:
            request["FilterExpression"] = filter_expression
        if limit:
            request["Limit"] = limit
        if start:
            request["ExclusiveStartKey"] = to_item(start)
        if projection:
            request["ProjectionExpression"] = projection
        try:
            response = self.client.query(**request)
        except client_error() as error:
            if error_code(error) == "ValidationException" and start:
                raise InvalidCursor("not a cursor this API issued") from error
            _raise_transient(error)
            raise
        last = response.get("LastEvaluatedKey")
        return Page([from_item(i) for i in response.get("Items", [])], from_item(last) if last else None)

    def query_all(
        self, key_condition: str, values: Mapping[str, Any], **options: Any
    ) -> Iterator[dict[str, Any]]:
        """Every item a query matches, page by page."""
        start: Mapping[str, Any] | None = None
        while True:
            page = self.query_page(key_condition, values, start=start, **options)
            yield from page.items
            if not page.last_key:
                return
            start = page.last_key

    def delete_partition(self, partition: str) -> None:
        """Delete every item whose partition key is `partition`."""
        batch: list[dict[str, Any]] = []
        for key in self.query_all("PK = :pk", {":pk": partition}, projection="PK, SK"):
            batch.append(key)
            if len(batch) == BATCH_WRITE_LIMIT:
                self._delete_batch(batch)
                batch = []
        if batch:
            self._delete_batch(batch)

    def _delete_batch(self, keys: list[dict[str, Any]]) -> None:
        pending: Any = {self.name: [{"DeleteRequest": {"Key": to_item(key)}} for key in keys]}
        while pending:  # BatchWriteItem may hand some back under load
            pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")


def _add_condition(
    request: dict[str, Any],
    condition: str | None,
    values: Mapping[str, Any] | None,
    names: Mapping[str, str] | None,
) -> None:
    if condition:
        request["ConditionExpression"] = condition
    if values:
        request["ExpressionAttributeValues"] = to_item(values)
    if names:
        request["ExpressionAttributeNames"] = dict(names)


def default_table() -> Table:
    from agent_runtime import aws
    from agent_runtime.config import settings

    return Table(aws.dynamodb(), settings().table_name)

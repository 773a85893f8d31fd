"""Whole-partition reads and deletes, shared by the stores whose items live under one key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agent_runtime import aws

BATCH_WRITE_LIMIT = 25


def query_items(query: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item a query matches, following LastEvaluatedKey page by page."""
    start: dict[str, Any] | None = None
    while True:
        page = {**query, "ExclusiveStartKey": start} if start else query
        response = aws.dynamodb().query(**page)
        yield from response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        if not start:
            return


def delete_partition(table: str, partition_key: dict[str, Any]) -> None:
    """Delete every item whose PK is `partition_key` (an attribute value)."""
    query = {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": partition_key},
        "ProjectionExpression": "PK, SK",
    }
    batch: list[dict[str, Any]] = []
    for key in query_items(query):
        batch.append(key)
        if len(batch) == BATCH_WRITE_LIMIT:
            _delete(table, batch)
            batch = []
    if batch:
        _delete(table, batch)


def _delete(table: str, item_keys: list[dict[str, Any]]) -> None:
    pending: Any = {table: [{"DeleteRequest": {"Key": key}} for key in item_keys]}
    while pending:  # BatchWriteItem may hand some back under load
        pending = aws.dynamodb().batch_write_item(RequestItems=pending).get("UnprocessedItems")

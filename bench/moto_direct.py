"""DynamoDB's item calls answered in process (local/agent_runtime_local/moto_direct.py) against the same
calls over moto's HTTP path, in one process, interleaved.

Two runtime clients on one local stack: one as the stack makes them (item calls answered directly),
one without the direct answer (the HTTP round trip through moto). Each round times N calls of each
operation on each client by the calling thread's CPU (the stack's pollers run on their own threads);
the report gives each operation's median over the rounds and the ratio.

Run: .venv/bin/python bench/moto_direct.py [--calls N] [--rounds R] [--report NAME]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in ("layers/runtime", "local", "."):
    sys.path.insert(0, str(ROOT / path))

# A run's item as the store writes it, roughly: keys, index keys and twenty short attributes.
ITEM: dict[str, Any] = {
    "PK": {"S": "RUN#bench"},
    "SK": {"S": "META"},
    "gsi1pk": {"S": "TENANT#bench"},
    "created_key": {"S": "2026-12-07T00:00:00Z#bench"},
    "n": {"N": "0"},
    **{f"a{i}": {"S": "v" * 40} for i in range(20)},
}


QUERIED = {"S": "RUN#queried"}  # a partition of ten events that the transactions don't grow
SERIAL = count()
NEW = "attribute_not_exists(SK)"  # one sequence of event keys for both clients: they write the same table


def operations(client: Any, table: str) -> dict[str, Callable[[], Any]]:
    key = {"PK": ITEM["PK"], "SK": ITEM["SK"]}

    def transact() -> Any:
        event = {**ITEM, "SK": {"S": f"EVENT#{next(SERIAL):08}"}}
        return client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": event, "ConditionExpression": NEW}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": key,
                        "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )

    return {
        "GetItem": lambda: client.get_item(TableName=table, Key=key, ConsistentRead=True),
        "TransactWriteItems (Put + Update)": transact,
        "Query (10 items)": lambda: client.query(
            TableName=table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :events)",
            ExpressionAttributeValues={":pk": QUERIED, ":events": {"S": "EVENT#"}},
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--report", default="moto_direct")
    args = parser.parse_args()

    from agent_runtime import aws
    from agent_runtime_local import moto_direct
    from agent_runtime_local.cloud import LocalCloud

    with LocalCloud() as cloud:
        assert cloud.resources is not None
        table = cloud.resources.table
        direct = aws.dynamodb()
        aws.client_observers.remove(moto_direct.watch)
        aws.dynamodb.cache_clear()
        over_http = aws.dynamodb()
        aws.client_observers.append(moto_direct.watch)
        direct.put_item(TableName=table, Item=ITEM)
        for n in range(10):
            direct.put_item(TableName=table, Item={**ITEM, "PK": QUERIED, "SK": {"S": f"EVENT#{n:08}"}})
        clients = {"over HTTP": operations(over_http, table), "direct": operations(direct, table)}
        for calls in clients.values():  # warm: first-call imports and caches
            for call in calls.values():
                call()
        micros: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for way, calls in clients.items():
                for name, call in calls.items():
                    started = time.thread_time()
                    for _ in range(args.calls):
                        call()
                    spent = time.thread_time() - started
                    micros.setdefault((name, way), []).append(spent / args.calls * 1e6)

    lines = [
        "# DynamoDB item calls: answered in process vs over moto's HTTP path",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `bench/moto_direct.py`: {args.rounds} rounds of "
        f"{args.calls} calls of each operation on each client, interleaved, in one process; CPU of the "
        "calling thread per call (median of the rounds). 2 cores, noisy: compare the ratios.",
        "",
        "| operation | over HTTP (us) | direct (us) | direct / HTTP |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in clients["direct"]:
        http_us = statistics.median(micros[(name, "over HTTP")])
        direct_us = statistics.median(micros[(name, "direct")])
        lines.append(f"| {name} | {http_us:.0f} | {direct_us:.0f} | {direct_us / http_us:.2f}x |")
    report = "\n".join(lines) + "\n"
    (ROOT / "bench" / "reports" / f"{args.report}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()

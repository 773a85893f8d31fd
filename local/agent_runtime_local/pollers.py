"""The local stack's event source mappings: threads that poll moto's DynamoDB stream and the webhook
queue and invoke the manifest's functions with the events Lambda would deliver.

- Stream: every function with `trigger=table-stream` gets batches of stream records (`{"Records":
  [...]}` with eventSourceARN), in order; a batch whose handler raises is retried (up to
  STREAM_BATCH_ATTEMPTS, then skipped with a log line, like a mapping with a retry limit).
- Queue: every function with `trigger=webhook-queue` gets one SQS record per invocation (`{"Records":
  [{"messageId", "receiptHandle", "body", ...}]}`), a few at a time on a small thread pool; messages
  not reported in `batchItemFailures` are deleted, the others come back after the visibility timeout.

Everything here talks to moto in this process; the only network traffic is the handlers' own
webhook POSTs. Both pollers are bounded (batch sizes, a fixed pool) and stop when asked.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from agent_runtime_local.lambda_bridge import LocalLambdaContext, resolve_handler
from functions import manifest

log = logging.getLogger(__name__)

STREAM_BATCH = 100
STREAM_BATCH_ATTEMPTS = 3
QUEUE_BATCH = 10
# Attempts at once: a receiver that hangs holds one worker for one attempt's time budget, not the rest.
QUEUE_WORKERS = 16
IDLE_SECONDS = 0.1


def matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering, the subset the manifest uses: a dict pattern matches a dict whose keys
    match; a list pattern matches a value equal to one of its items."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(p, value[k]) for k, p in pattern.items()
        )
    if isinstance(pattern, list):
        return value in pattern
    raise ValueError(f"unsupported filter pattern {pattern!r}")


def _invoke(spec: manifest.FunctionSpec, event: dict[str, Any]) -> Any:
    return resolve_handler(spec)(event, LocalLambdaContext(spec))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _session() -> Any:
    import boto3

    from agent_runtime.config import settings

    return boto3.session.Session(region_name=settings().region)


class _Poller(threading.Thread):
    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._stop_event = threading.Event()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                busy = self.poll()
            except Exception:
                log.exception("%s: poll failed", self.name)
                busy = False
            if not busy:
                self._stop_event.wait(IDLE_SECONDS)

    def poll(self) -> bool:
        raise NotImplementedError


def _forget_iterators() -> None:
    """moto keeps every shard iterator it ever issued; this poller never reuses one, so drop them
    (otherwise `make dev` grows by a few MB a minute while idle)."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    for account in list(dynamodbstreams_backends.values()):
        for region in list(account.values()):
            region.shard_iterators.clear()


class StreamPoller(_Poller):
    """Reads the table's stream from its start and feeds table-stream functions."""

    def __init__(self, table: str, specs: list[manifest.FunctionSpec]) -> None:
        super().__init__("local-stream-poller")
        session = _session()
        # botocore resolves stream calls to account-based hosts (<account>.streams-ddb...), which moto
        # 5.2 does not route; the classic regional endpoint it does.
        region = session.region_name
        self._streams = session.client(
            "dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com"
        )
        self._arn = session.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._shard = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"][0][
            "ShardId"
        ]
        self._last: str | None = None  # the sequence number of the last record handed over
        self._specs = specs

    def _iterator(self) -> str:
        # A fresh iterator per poll, from the last record seen: moto rolls a failed transaction back by
        # restoring a copy of the table, stream included, and an old iterator keeps reading the
        # discarded copy.
        position: dict[str, str] = (
            {"ShardIteratorType": "TRIM_HORIZON"}
            if self._last is None
            else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._last}
        )
        iterator: str = self._streams.get_shard_iterator(
            StreamArn=self._arn, ShardId=self._shard, **position
        )["ShardIterator"]
        return iterator

    def poll(self) -> bool:
        response = self._streams.get_records(ShardIterator=self._iterator(), Limit=STREAM_BATCH)
        records = [{**_jsonable(r), "eventSourceARN": self._arn} for r in response.get("Records", [])]
        if records:
            for spec in self._specs:
                pattern = json.loads(spec.trigger_filter) if spec.trigger_filter else None
                wanted = [r for r in records if pattern is None or matches(pattern, r)]
                if not wanted:
                    continue  # as in the cloud: filtered records never invoke the function
                for attempt in range(1, STREAM_BATCH_ATTEMPTS + 1):
                    try:
                        _invoke(spec, {"Records": wanted})
                        break
                    except Exception:
                        log.exception("%s failed on a stream batch (attempt %d)", spec.name, attempt)
        if records:
            self._last = records[-1]["dynamodb"]["SequenceNumber"]
        _forget_iterators()
        return bool(records)


class QueuePoller(_Poller):
    """Receives from one queue and feeds its consumer function, one message per invocation."""

    def __init__(self, queue_url: str, queue_arn: str, spec: manifest.FunctionSpec) -> None:
        super().__init__(f"local-queue-poller-{spec.name}")
        self._sqs = _session().client("sqs")
        self._url, self._arn, self._spec = queue_url, queue_arn, spec
        self._pool = ThreadPoolExecutor(QUEUE_WORKERS, thread_name_prefix=spec.name)

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _one(self, message: dict[str, Any]) -> None:
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._arn.split(":")[3],
        }
        try:
            result = _invoke(self._spec, {"Records": [record]}) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            log.exception("%s raised on message %s", self._spec.name, message["MessageId"])
            failed = {message["MessageId"]}
        if message["MessageId"] not in failed:
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def poll(self) -> bool:
        messages = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=QUEUE_BATCH, AttributeNames=["All"]
        ).get("Messages", [])
        if messages:
            list(self._pool.map(self._one, messages))
        return bool(messages)


class Pollers:
    """All local event source mappings of the manifest's functions."""

    def __init__(self, table: str, queues: dict[manifest.Trigger, tuple[str, str]]) -> None:
        self._pollers: list[_Poller] = []
        stream_specs = [s for s in manifest.FUNCTIONS if s.trigger == manifest.Trigger.TABLE_STREAM]
        if stream_specs:
            self._pollers.append(StreamPoller(table, stream_specs))
        for spec in manifest.FUNCTIONS:
            if spec.trigger is not None and spec.trigger in queues:
                url, arn = queues[spec.trigger]
                self._pollers.append(QueuePoller(url, arn, spec))

    def start(self) -> None:
        for poller in self._pollers:
            poller.start()

    def stop(self) -> None:
        for poller in self._pollers:
            poller.stop()

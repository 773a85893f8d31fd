"""The local stack's event source mappings: threads that poll moto's DynamoDB stream and the webhook
queue and invoke the manifest's functions with the events Lambda would deliver.

- Stream: every function with `trigger=table-stream` gets batches of stream records (`{"Records":
  [...]}` with eventSourceARN), in order; a batch whose handler raises is retried (up to
  STREAM_BATCH_ATTEMPTS, then skipped with a log line, like a mapping with a retry limit).
- Queue: every function with `trigger=webhook-queue` gets one SQS record per invocation (`{"Records":
  [{"messageId", "receiptHandle", "body", ...}]}`), on a small thread pool, receiving as many as it
  has free workers: it never waits for a batch to finish, so a receiver that hangs holds one worker,
  not the next deliveries of every tenant. Messages not reported in `batchItemFailures` are deleted,
  the others come back after the visibility timeout.
- Schedule: every function with `trigger=schedule` is invoked once at start and then every period of
  its `schedule` ("rate(1 minute)"), as EventBridge Scheduler does in the cloud;
  AGENT_RUNTIME_LOCAL_SCHEDULE_SECONDS sets another period for all of them (tests use about a second).

Everything here talks to moto in this process; the only network traffic is the handlers' own
webhook POSTs. The stream is read from moto's shard directly, under DynamoDB's lock, as GetRecords
reads it: serializing every record's images for GetRecords and parsing them back was a tenth of an
echo run's CPU, for records most of which the filter then drops (only those it passes are copied).
The pollers are bounded (batch sizes, a fixed pool, one scheduled invocation at a time) and stop
when asked.
"""

from __future__ import annotations

import calendar
import copy
import json
import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from agent_runtime_local import moto_patches
from agent_runtime_local.faults import FunctionKilled
from agent_runtime_local.lambda_bridge import LocalLambdaContext, resolve_handler
from agent_runtime_local.unsigned import unsigned
from functions import manifest

log = logging.getLogger(__name__)

STREAM_BATCH = 100
STREAM_BATCH_ATTEMPTS = 3
QUEUE_BATCH = 10
# Attempts at once: a receiver that hangs holds one worker for one attempt's time budget, not the rest.
QUEUE_WORKERS = 16
IDLE_SECONDS = 0.1
# A queue with nothing to receive is received from again when a message is sent to it
# (moto_patches.answered), when its first message in flight or delayed comes due, or after this long.
QUEUE_IDLE_SECONDS = 1.0
_SENDS = frozenset(
    f"before-send.sqs.{operation}"
    for operation in (
        "SendMessage",
        "SendMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
    )
)
# Lambda reads a stream shard 4 times a second; between full batches this poller does the same.
STREAM_POLL_SECONDS = 0.25


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
    try:
        return resolve_handler(spec)(event, LocalLambdaContext(spec))
    except FunctionKilled as killed:  # to its event source, a dead process is a failed invocation
        raise RuntimeError(f"{spec.name}: {killed}") from killed


def _epoch_seconds(moment: datetime) -> float:
    """What GetRecords answers for a stream record's time: moto keeps it as a naive UTC datetime and
    writes it as epoch seconds truncated to the millisecond."""
    if moment.tzinfo is not None:
        return moment.timestamp()
    return calendar.timegm(moment.timetuple()) + (moment.microsecond // 1000) / 1000.0


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    """A stream record as Lambda delivers it, a copy of moto's: its one timestamp
    (dynamodb.ApproximateCreationDateTime, the only one in GetRecords' model) in epoch seconds, the rest
    (bytes of binary attributes included, as GetRecords parses them) as moto holds it."""
    copied: dict[str, Any] = copy.deepcopy(record)
    stream = copied.get("dynamodb")
    if isinstance(stream, dict) and isinstance(stream.get("ApproximateCreationDateTime"), datetime):
        stream["ApproximateCreationDateTime"] = _epoch_seconds(stream["ApproximateCreationDateTime"])
    return copied


def _session() -> Any:
    import boto3

    from agent_runtime.config import settings

    return boto3.session.Session(region_name=settings().region)


class _Poller(threading.Thread):
    idle_seconds = IDLE_SECONDS

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
                self.idle()

    def idle(self) -> None:
        self._stop_event.wait(self.idle_seconds)

    def poll(self) -> bool:
        raise NotImplementedError


class StreamPoller(_Poller):
    """Reads the table's stream from its start and feeds table-stream functions."""

    idle_seconds = STREAM_POLL_SECONDS

    def __init__(self, table: str, specs: list[manifest.FunctionSpec]) -> None:
        super().__init__("local-stream-poller")
        self._table = table
        self._arn = _session().client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._last: int | None = None  # the sequence number of the last record handed over
        self._specs = specs

    def _records(self) -> list[dict[str, Any]]:
        """The next records after the last one handed over, as moto holds them (GetRecords' Limit of
        STREAM_BATCH), read under DynamoDB's lock: each whole, and none a transaction then rolls back."""
        from moto.dynamodb.models import dynamodb_backends

        from agent_runtime_local.cloud import ACCOUNT, REGION

        with moto_patches.service_lock("dynamodb"):
            shard = dynamodb_backends[ACCOUNT][REGION].get_table(self._table).stream_shard
            if shard is None:
                return []
            start = shard.starting_sequence_number if self._last is None else self._last + 1
            return list(shard.get(start, STREAM_BATCH))

    def poll(self) -> bool:
        records = self._records()
        for spec in self._specs:
            pattern = json.loads(spec.trigger_filter) if spec.trigger_filter else None
            wanted = [
                {**_jsonable(r), "eventSourceARN": self._arn}
                for r in records
                if pattern is None or matches(pattern, r)
            ]
            if not wanted:
                continue  # as in the cloud: filtered records never invoke the function
            for attempt in range(1, STREAM_BATCH_ATTEMPTS + 1):
                try:
                    _invoke(spec, {"Records": wanted})
                    break
                except Exception:
                    log.exception("%s failed on a stream batch (attempt %d)", spec.name, attempt)
        if records:
            self._last = int(records[-1]["dynamodb"]["SequenceNumber"])
        return len(records) == STREAM_BATCH  # a full batch: more may be waiting


class QueuePoller(_Poller):
    """Receives from one queue and feeds its consumer function, one message per invocation. While the
    queue is empty it waits for a send (as Lambda's long poll does) rather than receiving again and
    again: ten empty receives a second were a tenth of the stack's CPU on a sequential echo run."""

    idle_seconds = QUEUE_IDLE_SECONDS

    def __init__(self, queue_url: str, queue_arn: str, spec: manifest.FunctionSpec) -> None:
        super().__init__(f"local-queue-poller-{spec.name}")
        self._sent = threading.Event()
        moto_patches.answered.append(self._heard)
        self._sqs = _session().client("sqs")
        unsigned(self._sqs)
        self._url, self._arn, self._spec = queue_url, queue_arn, spec
        self._pool = ThreadPoolExecutor(QUEUE_WORKERS, thread_name_prefix=spec.name)
        self._busy = 0  # messages handed to the pool and not finished
        self._busy_lock = threading.Lock()

    def _heard(self, event_name: str) -> None:
        if event_name in _SENDS:
            self._sent.set()

    def idle(self) -> None:
        self._sent.wait(self._due_in())
        self._sent.clear()  # before the next receive: a send after it wakes the wait after it

    def _due_in(self) -> float:
        """How long until the queue's first message that can't be received now can be (its visibility
        timeout or delay ends), read from moto's queue as ReceiveMessage reads it, at most
        idle_seconds; IDLE_SECONDS when one can be received now (every worker is busy)."""
        from moto.core.utils import unix_time_millis
        from moto.sqs.models import sqs_backends

        from agent_runtime_local.cloud import ACCOUNT, REGION

        try:
            with moto_patches.service_lock("sqs"):
                queue = sqs_backends[ACCOUNT][REGION].get_queue(self._url.rsplit("/", 1)[-1])
                due = [max(m.visible_at, m.delayed_until) for m in queue._messages]
        except Exception:  # the queue is gone (a test's): the next receive says so
            return self.idle_seconds
        if not due:
            return self.idle_seconds
        wait = (min(due) - unix_time_millis()) / 1000
        if wait <= 0:
            return IDLE_SECONDS
        # moto makes a message visible strictly after its time: a millisecond's margin.
        return min(self.idle_seconds, wait + 0.002)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self._sent.set()
        if self._heard in moto_patches.answered:
            moto_patches.answered.remove(self._heard)
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

    def _run(self, message: dict[str, Any]) -> None:
        try:
            self._one(message)
        except Exception:
            log.exception("%s: message %s not handled", self._spec.name, message.get("MessageId"))
        finally:
            with self._busy_lock:
                self._busy -= 1

    def poll(self) -> bool:
        with self._busy_lock:
            free = QUEUE_WORKERS - self._busy
        if free <= 0:
            return False  # every worker is busy: wait, and receive once one is free
        messages = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=min(QUEUE_BATCH, free), AttributeNames=["All"]
        ).get("Messages", [])
        for message in messages:
            with self._busy_lock:
                self._busy += 1
            self._pool.submit(self._run, message)
        return bool(messages)


SCHEDULE_SECONDS_VARIABLE = "AGENT_RUNTIME_LOCAL_SCHEDULE_SECONDS"
_RATE = re.compile(r"^rate\((\d+) (second|minute|hour|day)s?\)$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def period_seconds(schedule: str) -> float:
    """The period of an EventBridge Scheduler rate expression ("rate(5 minutes)"), or the override."""
    override = os.environ.get(SCHEDULE_SECONDS_VARIABLE)
    if override:
        return float(override)
    match = _RATE.match(schedule.strip())
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"unsupported schedule {schedule!r}: use rate(N minute(s)/second(s)/hour(s)/day(s))")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class Scheduler(_Poller):
    """Invokes one scheduled function at start and then once per period. Never two at once here (a
    slow invocation delays the next); in the cloud a sweep longer than its period may overlap the next
    one, which the reconciler's conditional writes allow."""

    def __init__(self, spec: manifest.FunctionSpec) -> None:
        super().__init__(f"local-schedule-{spec.name}")
        if spec.schedule is None:
            raise ValueError(f"{spec.name}: trigger=schedule needs a schedule")
        self._spec = spec
        self._period = period_seconds(spec.schedule)

    def run(self) -> None:
        while not self._stop_event.is_set():
            started = time.monotonic()
            try:
                _invoke(self._spec, {})
            except Exception:
                log.exception("%s: scheduled invocation failed", self._spec.name)
            self._stop_event.wait(max(0.0, self._period - (time.monotonic() - started)))


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
            if spec.trigger == manifest.Trigger.SCHEDULE:
                self._pollers.append(Scheduler(spec))

    def start(self) -> None:
        for poller in self._pollers:
            poller.start()

    def stop(self) -> None:
        for poller in self._pollers:
            poller.stop()

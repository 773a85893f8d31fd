"""The local stack's state on disk: a snapshot plus a journal of every write, so `agent-runtime dev`
survives a stop or a `kill -9`.

moto keeps DynamoDB and S3 in memory. Every call the runtime's clients (agent_runtime.aws) make that
changes them (JOURNALED) is appended to `journal-<generation>.jsonl` once moto has applied it, inside
the lock that makes each of the service's moto calls atomic (moto_patches.service_lock), so each
service's records are in commit order and no one can read a change before its record is written (the
two services share no state; a write of S3 and one of DynamoDB made in that order by one thread are
journaled in that order). One os.write per record on an O_APPEND
file: once it returns the kernel has it, and a killed process loses nothing it acknowledged (a power
loss can lose what the page cache held: there is no fsync per record). S3 object bodies are files
under `blobs/`, named by their SHA-256, written before the call.

On start (`restore`): the table is created with its stream off, the snapshot loaded, the stream turned
on, the journal replayed in order through raw clients (not journaled again), so the stream carries the
last session's writes and the webhook dispatcher, idempotent on delivery ids derived from run id and
sequence, dispatches what it had not; then a fresh snapshot is written (tmp + fsync + rename) and a new
generation's journal started. A snapshot names its generation, so a crash between the rename and
removing the old journal never replays that journal twice.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore import xform_name

from agent_runtime_local import moto_patches

log = logging.getLogger(__name__)

FORMAT = 1
SNAPSHOT = "snapshot.jsonl"
BLOBS = "blobs"
# The calls that change items or objects: the runtime makes the DynamoDB ones and PutObject
# (store/dynamo.py, store/artifact_items.py, store/payloads.py); S3's deletes and copy replay as they are.
JOURNALED = frozenset(
    {
        "dynamodb.PutItem",
        "dynamodb.UpdateItem",
        "dynamodb.DeleteItem",
        "dynamodb.TransactWriteItems",
        "dynamodb.BatchWriteItem",
        "s3.PutObject",
        "s3.CopyObject",
        "s3.DeleteObject",
        "s3.DeleteObjects",
    }
)
BATCH_WRITE_LIMIT = 25


class DataDirError(RuntimeError):
    """The data directory can't be used (held by another process, or its files can't be read or
    don't replay). Nothing in it was changed."""


_JOURNAL_NAME = re.compile(r"^journal-(\d+)\.jsonl$")


def recover_hint(root: Path) -> str:
    return (
        f"Nothing was changed. To start from every whole record that can be read (the files as they "
        f"are now are kept in {root}/damaged-<time>/): agent-runtime dev --data-dir {root} --recover"
    )


def encode(value: Any) -> Any:
    """JSON for call parameters and items: bytes as {"$b64": ...}."""
    if isinstance(value, bytes | bytearray):
        return {"$b64": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$b64"}:
            return base64.b64decode(value["$b64"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


@dataclass
class Restored:
    items: int = 0
    objects: int = 0
    replayed: int = 0
    # With recover: what could not be read or replayed, and where the files as they were are kept.
    skipped: list[str] = field(default_factory=list)
    kept_in: Path | None = None


def _session() -> Any:
    import boto3

    return boto3.session.Session(region_name=os.environ.get("AWS_REGION", "us-east-1"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DataDir:
    """One data directory, held (flock of the directory itself) by one process at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / BLOBS
        self.generation = 0
        self._lock_fd: int | None = None
        self._journal_fd: int | None = None
        self._pending = threading.local()
        self._append_lock = threading.Lock()
        # Set once a journal write failed (a full disk): every later call is refused (fail-stop).
        self.failed: OSError | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> None:
        self.blobs.mkdir(parents=True, exist_ok=True)
        # The directory, not a file in it: a deleted lock file would let a second stack in.
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirError(f"{self.root} is in use by another agent-runtime dev") from None
        self._lock_fd = fd

    def close(self) -> None:
        if moto_patches.write_committed == self._committed:
            moto_patches.write_committed = None
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def secret(self) -> str:
        """This data dir's signing secret for pre-signed download URLs (kept, so URLs outlive a restart)."""
        path = self.root / "download-secret"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(base64.urlsafe_b64encode(os.urandom(30)).decode())
            tmp.chmod(0o600)
            os.replace(tmp, path)
        return path.read_text().strip()

    # -- restore ---------------------------------------------------------------------------------
    def restore(self, table: str, bucket: str, stream: dict[str, Any], recover: bool = False) -> Restored:
        """Load the snapshot into the (stream-less) table and the bucket, turn the stream on, replay the
        journal, write a fresh snapshot and start journaling. Call before anything else uses them.

        Anything that can't be read (a snapshot missing while a journal follows it, generations that
        don't match, a record that isn't whole, one that doesn't replay) is a DataDirError before any
        file is changed. With `recover`, the files are first copied to `damaged-<time>/`, and every
        whole record that replays is kept; the others are listed in `Restored.skipped`."""
        session = _session()
        dynamodb, s3 = session.client("dynamodb"), session.client("s3")
        restored = Restored()
        if recover:
            restored.kept_in = self._keep_damaged()
        journals = self._journals_to_replay(recover)
        batch: list[dict[str, Any]] = []
        for kind, value in self._snapshot_lines(restored.skipped if recover else None):
            if kind == "item":
                batch.append({"PutRequest": {"Item": value}})
                restored.items += 1
                if len(batch) == BATCH_WRITE_LIMIT:
                    _batch_write(dynamodb, table, batch)
                    batch = []
            else:
                blob = self.blobs / value.pop("blob")
                if not blob.is_file():
                    if not recover:
                        raise DataDirError(
                            f"{self.root}: object {value.get('Key')!r} has no blob. {recover_hint(self.root)}"
                        )
                    restored.skipped.append(f"{SNAPSHOT}: object {value.get('Key')!r}: its blob is missing")
                    continue
                s3.put_object(Bucket=bucket, Body=blob.read_bytes(), **value)
                restored.objects += 1
        if batch:
            _batch_write(dynamodb, table, batch)
        dynamodb.update_table(TableName=table, StreamSpecification=stream)
        clients = {"dynamodb": dynamodb, "s3": s3}
        for generation in journals:
            for number, (operation, params) in enumerate(
                self._journal_records(generation, restored.skipped if recover else None), start=1
            ):
                where = f"{self._journal_path(generation).name} record {number} ({operation})"
                try:
                    service, name = operation.split(".")
                    if "Body" in params:
                        params["Body"] = (self.blobs / params["Body"]["$blob"]).read_bytes()
                    getattr(clients[service], xform_name(name))(**params)
                except Exception as error:
                    if recover:
                        restored.skipped.append(f"{where}: does not replay: {error}")
                        continue
                    raise DataDirError(
                        f"{self.root}: {where} does not replay: {error}. {recover_hint(self.root)}"
                    ) from error
                restored.replayed += 1
        # The next generation is past every journal there is (recover may have replayed several).
        self.generation = max([self.generation, *journals])
        self._compact(dynamodb, s3, table, bucket, keep_blobs=recover)
        return restored

    def _journal_generations(self) -> list[int]:
        return sorted(
            int(m.group(1)) for path in self.root.iterdir() if (m := _JOURNAL_NAME.match(path.name))
        )

    def _journals_to_replay(self, recover: bool) -> list[int]:
        """The journal generations to replay: the snapshot's own. A journal newer than the snapshot
        means the snapshot that journal follows is missing or was replaced: starting would lose (and
        compacting would delete) what it holds, so that is refused; with `recover`, every journal from
        the snapshot's generation on is replayed in order."""
        generations = self._journal_generations()
        try:
            current = self._snapshot_generation() if (self.root / SNAPSHOT).exists() else None
        except DataDirError:
            if not recover:
                raise
            current = None  # an unreadable header: replay every journal
        if recover:
            return generations if current is None else [g for g in generations if g >= current]
        newer = [g for g in generations if g > (current or 0)]
        if newer:
            state = (
                f"its snapshot is generation {current}" if current is not None else f"{SNAPSHOT} is missing"
            )
            names = ", ".join(self._journal_path(g).name for g in newer)
            raise DataDirError(
                f"{self.root}: {state}, but {names} follows a later one: starting would lose what "
                f"{'they hold' if len(newer) > 1 else 'it holds'}. {recover_hint(self.root)}"
            )
        return [current or 0]

    def _snapshot_generation(self) -> int:
        """The generation the snapshot's header names (a DataDirError if it can't be read)."""
        path = self.root / SNAPSHOT
        with path.open("rb") as lines:
            first = lines.readline()
        try:
            header = json.loads(first.decode("utf-8"))
            if header.get("format") != FORMAT:
                raise DataDirError(f"{path}: format {header.get('format')}, this version reads {FORMAT}")
            return int(header["generation"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise DataDirError(
                f"{path}: its header is not readable ({error}). {recover_hint(self.root)}"
            ) from error

    def _keep_damaged(self) -> Path:
        """Copy the snapshot and the journals, as they are, to damaged-<time>/ (blobs stay in place and
        are not deleted by this start)."""
        target = self.root / time.strftime("damaged-%Y%m%dT%H%M%SZ", time.gmtime())
        target.mkdir(exist_ok=True)
        for path in self.root.iterdir():
            if path.name == SNAPSHOT or _JOURNAL_NAME.match(path.name):
                shutil.copy2(path, target / path.name)
        _fsync_dir(target)
        return target

    def _snapshot_lines(self, skipped: list[str] | None) -> Iterator[tuple[str, Any]]:
        """The snapshot's records. skipped None: one that isn't whole is a DataDirError; else it is
        listed there and left out (recover)."""
        path = self.root / SNAPSHOT
        if not path.exists():
            return
        try:
            self.generation = self._snapshot_generation()
        except DataDirError:
            if skipped is None:
                raise
            skipped.append(f"{SNAPSHOT}: its header is not readable")
        with path.open("rb") as lines:
            next(lines, None)
            for number, line in enumerate(lines, start=2):
                try:
                    record = json.loads(line.decode("utf-8"))
                    kind = "item" if "item" in record else "object"
                    value = decode(record[kind])
                except (ValueError, KeyError, TypeError, AttributeError) as error:
                    if skipped is None:
                        detail = f"line {number} is not a whole record ({error})"
                        raise DataDirError(f"{path}: {detail}. {recover_hint(self.root)}") from error
                    skipped.append(f"{SNAPSHOT} line {number}: not a whole record")
                    continue
                yield kind, value

    def _journal_path(self, generation: int) -> Path:
        return self.root / f"journal-{generation}.jsonl"

    def _journal_records(
        self, generation: int, skipped: list[str] | None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        path = self._journal_path(generation)
        if not path.exists():
            return
        with path.open("rb") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.endswith(b"\n") or not line.strip(b"\x00\n"):
                    # Cut short by the process's death mid-write (or a tail of NUL bytes a crash left
                    # in a file the kernel had grown): its call never answered anyone.
                    log.warning("%s: ignoring an unfinished record at line %d", path, number)
                    continue
                try:
                    record = json.loads(line.decode("utf-8"))
                    operation, params = str(record["op"]), decode(record["params"])
                except (ValueError, KeyError, TypeError, AttributeError) as error:
                    if skipped is None:
                        raise DataDirError(
                            f"{path}: record {number} is not whole ({error}). {recover_hint(self.root)}"
                        ) from error
                    skipped.append(f"{path.name} record {number}: not a whole record")
                    continue
                yield operation, params

    def _compact(self, dynamodb: Any, s3: Any, table: str, bucket: str, keep_blobs: bool = False) -> None:
        generation = self.generation + 1
        path = self.root / SNAPSHOT
        tmp = path.with_suffix(".tmp")
        blobs: set[str] = set()
        with tmp.open("w", encoding="utf-8") as out:
            out.write(json.dumps({"format": FORMAT, "generation": generation}) + "\n")
            for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                for item in page.get("Items", []):
                    out.write(json.dumps({"item": encode(item)}) + "\n")
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for entry in page.get("Contents", []):
                    got = s3.get_object(Bucket=bucket, Key=entry["Key"])
                    digest = self.store_blob(got["Body"].read())
                    blobs.add(digest)
                    obj: dict[str, Any] = {
                        "Key": entry["Key"],
                        "ContentType": got["ContentType"],
                        "blob": digest,
                    }
                    if got.get("ServerSideEncryption"):
                        obj["ServerSideEncryption"] = got["ServerSideEncryption"]
                    if got.get("Metadata"):
                        obj["Metadata"] = got["Metadata"]
                    out.write(json.dumps({"object": obj}) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _fsync_dir(self.root)
        self.generation = generation
        self._journal_fd = os.open(
            self._journal_path(generation), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o600
        )
        for old in self.root.glob("journal-*.jsonl"):
            if old.name != self._journal_path(generation).name:
                old.unlink()
        for blob in [] if keep_blobs else self.blobs.iterdir():
            if blob.name not in blobs:
                blob.unlink()
        moto_patches.write_committed = self._committed

    # -- journaling ------------------------------------------------------------------------------
    def store_blob(self, body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()
        target = self.blobs / digest
        if not target.exists():
            tmp = self.blobs / f"{digest}.{threading.get_ident()}.tmp"
            tmp.write_bytes(body)
            os.replace(tmp, target)
        return digest

    def watch(self, client: Any) -> None:
        """Journal the writes `client` makes (an aws.client_observers entry)."""
        client.meta.events.register("before-parameter-build", self._capture)
        client.meta.events.register("before-call", self._arm)
        client.meta.events.register("after-call", self._disarm)
        client.meta.events.register("after-call-error", self._disarm)

    def _capture(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        operation = f"{model.service_model.endpoint_prefix}.{model.name}"
        if operation not in JOURNALED:
            return
        recorded = dict(params)
        if "Body" in recorded:
            body = recorded["Body"]
            if isinstance(body, str):
                body = body.encode()
            elif hasattr(body, "seek"):  # botocore has made bytes a file object by now
                start = body.tell()
                body, _ = body.read(), body.seek(start)
            if not isinstance(body, bytes | bytearray):
                raise TypeError(f"{operation}: the local journal stores bytes bodies, not {type(body)}")
            recorded["Body"] = {"$blob": self.store_blob(bytes(body))}
        context["journal"] = (operation, recorded)

    def _arm(self, context: dict[str, Any], model: Any, **_: Any) -> None:
        if self.failed is not None:
            # The state in memory holds a change the journal doesn't: answer nothing from it, and
            # accept no write, until a restart restores what was acknowledged.
            raise _unavailable(model.name, self.failed)
        # Set once the parameters passed validation: what the next send on this thread commits.
        self._pending.record = context.get("journal")

    def _disarm(self, **_: Any) -> None:
        self._pending.record = None

    def _committed(self, event_name: str, status: int) -> None:
        """Called by moto_patches inside the service's lock after moto answered a write of this thread."""
        record = getattr(self._pending, "record", None)
        if record is None or status >= 300 or self._journal_fd is None:
            return
        operation, params = record
        if not event_name.endswith("." + operation.split(".")[1]):
            return
        self._pending.record = None
        line = (
            json.dumps({"op": operation, "params": encode(params)}, separators=(",", ":")) + "\n"
        ).encode()
        try:
            self._append(line)
        except OSError as error:
            self.failed = error
            log.error(
                "%s: the journal could not be written (%s); answering 503 to everything until restarted "
                "with space: a restart keeps every change that was acknowledged",
                self.root,
                error,
            )
            raise _unavailable(operation.split(".")[1], error) from error

    def _append(self, line: bytes) -> None:
        fd = self._journal_fd
        assert fd is not None  # _committed returns before this without one
        view = memoryview(line)
        with self._append_lock:  # DynamoDB's and S3's writers append under locks of their own
            while view:
                view = view[os.write(fd, view) :]


def _unavailable(operation: str, error: OSError) -> Exception:
    """What the caller sees: a 503 from the service, so the API answers 503 with Retry-After (a
    transient error, agent_runtime.errors.is_transient), never a 500 nor an acknowledgement."""
    from botocore.exceptions import ClientError

    message = f"the local stack's journal could not be written ({error.strerror or error})"
    response: Any = {
        "Error": {"Code": "ServiceUnavailable", "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": 503},
    }
    return ClientError(response, operation)


def _batch_write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending: Any = {table: requests}
    while pending:
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")

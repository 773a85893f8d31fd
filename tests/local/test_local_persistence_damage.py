"""A damaged data directory is never destroyed (issue 21, items 3 and 4): a missing snapshot, generations
that don't match, a journal ending in NUL bytes or garbage, a corrupt record, a truncated snapshot or a
bad header are refused with a message naming the recovery command (not a traceback, and not an empty
start that truncates the journal); `recover` keeps every whole record, the files as they were copied
aside. A journal write that fails (a full disk) is a 503 to the caller, never an acknowledgement, and
the stack refuses everything after it until restarted."""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from agent_runtime.errors import is_transient
from agent_runtime_local.cloud import STREAM, Resources
from agent_runtime_local.persistence import DataDir, DataDirError
from tests.local.test_local_persistence import recreate, scratch  # noqa: F401 (a fixture)

Scratch = tuple[Any, Any, str, str]
ITEMS = 7


def files(root: Path) -> dict[str, str]:
    """Every file of the data dir (but the lock) with its SHA-256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "lock"
    }


@pytest.fixture
def populated(scratch: Scratch, tmp_path: Path) -> Iterator[Scratch]:  # noqa: F811
    """A data dir whose snapshot holds 3 items and whose journal (generation 2) 4 more writes, as a
    stack stopped after a restart leaves it."""
    dynamodb, _, table, bucket = scratch
    for round_, count in ((1, 3), (2, ITEMS - 3)):
        data = DataDir(tmp_path)
        data.open()
        try:
            data.restore(table, bucket, STREAM)
            client = boto3.session.Session(region_name="us-east-1").client("dynamodb")
            data.watch(client)
            for n in range(count):
                client.put_item(TableName=table, Item={"PK": {"S": f"r{round_}-{n}"}})
        finally:
            data.close()
        recreate(dynamodb, table)
    assert (tmp_path / "journal-2.jsonl").stat().st_size > 0
    yield scratch


def start(tmp_path: Path, dir_scratch: Scratch, recover: bool = False) -> Any:
    _, _, table, bucket = dir_scratch
    data = DataDir(tmp_path)
    data.open()
    try:
        return data.restore(table, bucket, STREAM, recover=recover)
    finally:
        data.close()


def count(dir_scratch: Scratch) -> int:
    dynamodb, _, table, _ = dir_scratch
    return int(dynamodb.scan(TableName=table, Select="COUNT")["Count"])


def test_an_intact_data_dir_restores_every_item(populated: Scratch, tmp_path: Path) -> None:
    restored = start(tmp_path, populated)
    assert (restored.items, restored.replayed) == (3, ITEMS - 3)
    assert count(populated) == ITEMS


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda root: (root / "snapshot.jsonl").unlink(), id="snapshot-missing"),
        pytest.param(
            lambda root: (root / "journal-2.jsonl").rename(root / "journal-3.jsonl"), id="generation-mismatch"
        ),
    ],
)
def test_a_data_dir_whose_snapshot_and_journal_dont_match_is_refused_and_left_as_it_is(
    populated: Scratch, tmp_path: Path, damage: Any
) -> None:
    damage(tmp_path)
    before = files(tmp_path)
    with pytest.raises(DataDirError) as refused:
        start(tmp_path, populated)
    assert "--recover" in str(refused.value) and "Nothing was changed" in str(refused.value)
    # Before: the stack started empty and truncated the journal (7 runs -> 0, 58 KB -> 0 bytes).
    assert files(tmp_path) == before


def test_recover_replays_a_journal_whose_snapshot_is_missing_and_keeps_the_files(
    populated: Scratch, tmp_path: Path
) -> None:
    (tmp_path / "snapshot.jsonl").unlink()
    journal = (tmp_path / "journal-2.jsonl").read_bytes()
    restored = start(tmp_path, populated, recover=True)
    # The snapshot's 3 items are gone with it; the journal's 4 are kept, and so is the journal.
    assert (restored.items, restored.replayed, restored.skipped) == (0, ITEMS - 3, [])
    assert count(populated) == ITEMS - 3
    assert (restored.kept_in / "journal-2.jsonl").read_bytes() == journal
    assert restored.kept_in.name.startswith("damaged-")


NUL_TAIL = b"\x00" * 4096


@pytest.mark.parametrize("tail", [NUL_TAIL, NUL_TAIL + b"\n" + NUL_TAIL], ids=["nul-bytes", "nul-lines"])
def test_a_journal_ending_in_nul_bytes_restores_its_whole_records(
    populated: Scratch, tmp_path: Path, tail: bytes
) -> None:
    with (tmp_path / "journal-2.jsonl").open("ab") as journal:
        journal.write(tail)
    restored = start(tmp_path, populated)
    assert restored.replayed == ITEMS - 3 and count(populated) == ITEMS


def corrupt_mid_journal(root: Path) -> None:
    lines = (root / "journal-2.jsonl").read_bytes().splitlines(keepends=True)
    lines[1] = b"\xff\xfe garbage \x00\x00\x00\n"
    (root / "journal-2.jsonl").write_bytes(b"".join(lines))


def truncate_snapshot(root: Path) -> None:
    snapshot = root / "snapshot.jsonl"
    snapshot.write_bytes(snapshot.read_bytes()[:-20])


def bad_header(root: Path) -> None:
    snapshot = root / "snapshot.jsonl"
    lines = snapshot.read_bytes().splitlines(keepends=True)
    snapshot.write_bytes(b"\x00\x00\x00{not json\n" + b"".join(lines[1:]))


@pytest.mark.parametrize(
    ("damage", "salvaged"),
    [
        pytest.param(corrupt_mid_journal, ITEMS - 1, id="corrupt-record"),
        pytest.param(truncate_snapshot, ITEMS - 1, id="truncated-snapshot"),
        pytest.param(bad_header, ITEMS, id="bad-header"),
    ],
)
def test_corruption_is_refused_with_the_recovery_command_and_recover_salvages_every_whole_record(
    populated: Scratch, tmp_path: Path, damage: Any, salvaged: int
) -> None:
    damage(tmp_path)
    before = files(tmp_path)
    with pytest.raises(DataDirError) as refused:  # before: UnicodeDecodeError, JSONDecodeError
        start(tmp_path, populated)
    assert "--recover" in str(refused.value)
    assert files(tmp_path) == before
    recreate(populated[0], populated[2])
    restored = start(tmp_path, populated, recover=True)
    assert len(restored.skipped) == 1, restored.skipped
    assert count(populated) == salvaged
    # Recovered, the data dir is whole again: the next start is an ordinary one.
    recreate(populated[0], populated[2])
    assert start(tmp_path, populated).items == salvaged


def test_a_journal_write_that_fails_is_a_503_and_nothing_after_it_is_answered(
    populated: Scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, _, table, bucket = populated
    data = DataDir(tmp_path)
    data.open()
    try:
        data.restore(table, bucket, STREAM)
        client = boto3.session.Session(region_name="us-east-1").client("dynamodb")
        data.watch(client)
        client.put_item(TableName=table, Item={"PK": {"S": "acknowledged"}})

        def full(line: bytes) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(data, "_append", full)
        with pytest.raises(ClientError) as refused:
            client.put_item(TableName=table, Item={"PK": {"S": "not-acknowledged"}})
        assert is_transient(refused.value)  # the API answers 503 with Retry-After, not 500
        # The change moto applied is never shown: every later call is refused too.
        monkeypatch.undo()
        for call in (
            lambda: client.get_item(TableName=table, Key={"PK": {"S": "not-acknowledged"}}),
            lambda: client.put_item(TableName=table, Item={"PK": {"S": "later"}}),
        ):
            with pytest.raises(ClientError) as again:
                call()
            assert is_transient(again.value)
    finally:
        data.close()
    recreate(dynamodb, table)
    start(tmp_path, populated)
    kept = {i["PK"]["S"] for i in dynamodb.scan(TableName=table)["Items"]}
    assert "acknowledged" in kept and not {"not-acknowledged", "later"} & kept
    assert len(kept) == ITEMS + 1


def test_dev_refuses_a_damaged_data_dir_with_a_message_not_a_traceback(
    cloud: Resources, tmp_path: Path
) -> None:
    import subprocess
    import sys

    (tmp_path / "journal-4.jsonl").write_bytes(b'{"op":"dynamodb.PutItem","params":{}}\n')
    result = subprocess.run(
        [sys.executable, "-m", "agent_runtime_local.cli", "dev", "--data-dir", str(tmp_path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "--recover" in result.stderr + result.stdout
    assert (tmp_path / "journal-4.jsonl").read_bytes() == b'{"op":"dynamodb.PutItem","params":{}}\n'


def test_a_second_stack_cannot_take_a_data_dir_whose_lock_file_was_deleted(tmp_path: Path) -> None:
    first = DataDir(tmp_path)
    first.open()
    try:
        for leftover in tmp_path.glob("lock"):
            leftover.unlink()  # before: the lock was this file, and a second stack started
        with pytest.raises(DataDirError, match="in use"):
            DataDir(tmp_path).open()
    finally:
        first.close()
    second = DataDir(tmp_path)
    second.open()  # released with the first
    second.close()

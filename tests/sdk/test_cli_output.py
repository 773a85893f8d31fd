"""The CLI's output for people and for pipes (issue 21, item 11): whole values at any width, one
tab-separated row per line when stdout is not a terminal (gh's habit), --fields, help with examples,
downloads that keep existing files, and `dev` failing clearly on a busy port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agent_runtime_client import Client
from agent_runtime_local.cli import app
from tests.e2e.conftest import free_port
from tests.sdk.conftest import ARTICLE

pytestmark = pytest.mark.e2e

# A prompt long enough to need wrapping at 80 columns beside a run id.
LONG_TITLE = "the quarterly plan for the platform team, with every milestone and its owner"


def cli(*args: str, url: str, key: str, width: int = 80, tty: bool = False) -> Result:
    env = {"COLUMNS": str(width), "AGENT_RUNTIME_FORCE_TTY": "1" if tty else "0"}
    return CliRunner().invoke(app, ["--url", url, "--api-key", key, *args], env=env)


@pytest.fixture
def waiting(client: Client) -> str:
    """An approval run waiting for its review; its id."""
    run = client.runs.create("approval", {**ARTICLE, "title": LONG_TITLE})
    client.runs.wait(run.run_id, until="waiting_for_input", timeout=30)
    return run.run_id


def test_a_pipe_gets_whole_values_a_row_per_line(waiting: str, base_url: str, api_key: str) -> None:
    listed = cli("checkpoints", "list", url=base_url, key=api_key)
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    (row,) = [r for r in rows if r[0] == waiting]  # no header, no table rules
    assert row[1:5] == ["review-1", "approval", "pending", "ana"]
    assert row[5] == f"Approve publishing '{LONG_TITLE}'?"  # the whole prompt, on its line
    runs = cli("runs", "list", "--limit", "3", url=base_url, key=api_key).stdout.splitlines()
    assert runs[0].split("\t")[:3] == [waiting, "approval 1.0.0", "waiting_for_input"]
    assert "\x1b[" not in listed.stdout  # no colour codes in a pipe


def test_a_terminal_at_80_columns_never_cuts_an_id_or_squeezes_text(
    waiting: str, client: Client, base_url: str, api_key: str
) -> None:
    listed = cli("checkpoints", "list", url=base_url, key=api_key, tty=True)
    assert waiting in listed.stdout  # 36 characters, whole
    # The prompt keeps whole words on its lines rather than a character per line.
    assert "quarterly" in listed.stdout and "milestone" in listed.stdout
    assert max(len(line.strip()) for line in listed.stdout.splitlines() if line.strip()) > 10

    watched = cli("runs", "watch", waiting, url=base_url, key=api_key, tty=True)
    assert f"agent-runtime checkpoints approve {waiting} review-1 --comment TEXT" in watched.stdout
    assert f"agent-runtime checkpoints reject {waiting} review-1 --reason TEXT" in watched.stdout

    client.checkpoints.approve(waiting, "review-1")
    done = client.runs.wait(waiting, timeout=30)
    artifact_id = done.output["artifact_id"]
    timeline = cli("runs", "watch", waiting, url=base_url, key=api_key, tty=True).stdout
    (line,) = [line for line in timeline.splitlines() if "artifact.created" in line]
    assert artifact_id in line  # was "id 1e795374-490..."
    artifacts = cli("artifacts", "list", waiting, url=base_url, key=api_key, tty=True).stdout
    assert artifact_id in artifacts  # was 35 of its 36 characters
    piped = cli("artifacts", "list", waiting, url=base_url, key=api_key).stdout
    assert piped.split("\t")[:2] == [artifact_id, "document.md"]


def test_fields_select_what_json_prints(waiting: str, base_url: str, api_key: str) -> None:
    got = cli("runs", "get", waiting, "--fields", "run_id,status,workflow.name", url=base_url, key=api_key)
    assert json.loads(got.stdout) == {
        "run_id": waiting,
        "status": "waiting_for_input",
        "workflow": {"name": "approval"},
    }
    listed = cli(
        "checkpoints", "list", "--run", waiting, "--fields", "checkpoint_id", url=base_url, key=api_key
    )
    assert json.loads(listed.stdout) == [{"checkpoint_id": "review-1"}]
    unknown = cli("runs", "get", waiting, "--fields", "nope", url=base_url, key=api_key)
    assert unknown.exit_code == 2 and "no field 'nope'" in unknown.stderr and "run_id" in unknown.stderr


def test_help_shows_examples() -> None:
    for command in (
        ["runs", "create"],
        ["runs", "list"],
        ["checkpoints", "input"],
        ["artifacts", "download"],
    ):
        shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "100"}).stdout
        assert "Examples" in shown and f"$ agent-runtime {' '.join(command)}" in shown, shown


def test_a_download_keeps_an_existing_file_unless_forced(
    client: Client, base_url: str, api_key: str, tmp_path: Path
) -> None:
    run = client.runs.create("approval", ARTICLE)
    client.runs.wait(run.run_id, until="waiting_for_input", timeout=30)
    client.checkpoints.approve(run.run_id, "review-1")
    artifact_id = client.runs.wait(run.run_id, timeout=30).output["artifact_id"]
    mine = tmp_path / "document.md"
    mine.write_text("mine")
    refused = cli("artifacts", "download", artifact_id, "-o", str(tmp_path), url=base_url, key=api_key)
    assert refused.exit_code == 1 and "exists: add --force" in refused.stderr
    assert mine.read_text() == "mine"
    forced = cli(
        "artifacts", "download", artifact_id, "-o", str(tmp_path), "--force", url=base_url, key=api_key
    )
    assert forced.exit_code == 0 and mine.read_text().startswith("# SDK tests")


def test_dev_on_a_busy_port_fails_before_its_banner(tmp_path: Path) -> None:
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        env = {
            k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "BUCKET_NAME", "STATE_MACHINE_ARN"}
        }
        started = subprocess.run(
            [sys.executable, "-m", "agent_runtime_local.cli", "dev", "--port", str(port), "--ephemeral"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
    assert started.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in started.stderr and "--port" in started.stderr
    assert "local stack on" not in started.stdout + started.stderr  # no "stack is up" banner

"""The `agent-runtime` CLI for people, against the local stack over real HTTP: a run approved from the
terminal, JSON for scripts, input checked against the checkpoint's schema before it is sent, errors as
messages and exit codes, API keys on the local stack and in a table, --version, and help text that
never breaks a word whatever the terminal's width."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner, Result

from agent_runtime_local.cli import app
from tests.sdk.conftest import ARTICLE, DOCUMENT

pytestmark = pytest.mark.e2e


def cli(*args: str, url: str, key: str | None = None, width: int = 120, input: str | None = None) -> Result:
    options = ["--url", url] + (["--api-key", key] if key else [])
    return CliRunner().invoke(app, [*options, *args], env={"COLUMNS": str(width)}, input=input)


def test_a_person_approves_a_run_from_the_terminal(base_url: str, api_key: str, tmp_path: Path) -> None:
    created = cli(
        "runs", "create", "approval", "--input", json.dumps(ARTICLE), "--watch", url=base_url, key=api_key
    )
    assert created.exit_code == 0, created.output
    run_id = re.search(r"created run ([0-9a-f-]{36})", created.stdout).group(1)  # type: ignore[union-attr]
    assert "checkpoint.created" in created.stdout and "→ ana" in created.stdout
    assert "waiting for input on checkpoint review-1" in created.stdout
    assert f"agent-runtime checkpoints approve {run_id} review-1" in created.stdout

    inbox = cli("checkpoints", "list", "--assignee", "ana", url=base_url, key=api_key)
    assert run_id in inbox.stdout and "review-1" in inbox.stdout and "pending" in inbox.stdout
    shown = cli("checkpoints", "show", run_id, "review-1", url=base_url, key=api_key)
    assert "answer    {approved, comment?, reason?}" in shown.stdout and "- typed models" in shown.stdout

    # An answer the schema refuses is never sent.
    wrong = cli("checkpoints", "input", run_id, "review-1", '{"approve": true}', url=base_url, key=api_key)
    assert wrong.exit_code == 2
    assert "data: 'approved' is a required property" in wrong.stderr
    pending = cli("checkpoints", "show", run_id, "review-1", "--json", url=base_url, key=api_key)
    assert pending.exit_code == 0, (pending.output, pending.exception)
    assert json.loads(pending.stdout)["status"] == "pending"

    approved = cli(
        "checkpoints", "approve", run_id, "review-1", "--comment", "Ship it.", url=base_url, key=api_key
    )
    assert approved.exit_code == 0 and "resolved: approved" in approved.stdout
    watched = cli("runs", "watch", run_id, url=base_url, key=api_key)
    assert watched.exit_code == 0, watched.output
    assert "checkpoint.resolved" in watched.stdout and "artifact.created" in watched.stdout
    assert watched.stdout.rstrip().endswith("run succeeded")
    run = json.loads(cli("runs", "get", run_id, "--json", url=base_url, key=api_key).stdout)
    assert run["status"] == "succeeded"

    artifact_id = run["output"]["artifact_id"]
    listed = cli("artifacts", "list", run_id, url=base_url, key=api_key)
    assert artifact_id in listed.stdout and "document.md" in listed.stdout
    saved = cli("artifacts", "download", artifact_id, "-o", str(tmp_path), url=base_url, key=api_key)
    assert saved.exit_code == 0 and "verified" in saved.stderr
    assert (tmp_path / "document.md").read_text() == DOCUMENT
    piped = cli("artifacts", "download", artifact_id, "-o", "-", url=base_url, key=api_key)
    assert piped.stdout_bytes == DOCUMENT.encode()
    described = cli("artifacts", "get", artifact_id, url=base_url, key=api_key)
    assert "download until" in described.stdout


def test_json_output_is_for_scripts(base_url: str, api_key: str) -> None:
    created = json.loads(
        cli("runs", "create", "echo", "-i", '{"n": 1}', "--json", url=base_url, key=api_key).stdout
    )
    run_id = created["run_id"]
    lines = cli("runs", "watch", run_id, "--json", url=base_url, key=api_key).stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "run.succeeded" and events[-1]["data"]["output"] == {"n": 1}
    runs = json.loads(cli("runs", "list", "--json", url=base_url, key=api_key).stdout)
    assert [r["run_id"] for r in runs] == [run_id]
    workflows = json.loads(cli("workflows", "list", "--json", url=base_url, key=api_key).stdout)
    assert "approval" in [w["name"] for w in workflows]
    schemas = json.loads(cli("workflows", "schemas", "approval", "--json", url=base_url, key=api_key).stdout)
    assert schemas["checkpoints"]["review"]["response"]["required"] == ["approved"]
    assert json.loads(cli("checkpoints", "list", "--json", url=base_url, key=api_key).stdout) == []
    human = cli("workflows", "schemas", "intake", url=base_url, key=api_key)
    assert "checkpoint details (input, on timeout continue)" in human.stdout


def test_input_is_checked_against_the_checkpoint_schema(base_url: str, api_key: str) -> None:
    created = cli(
        "runs", "create", "intake", "-i", '{"purpose": "loan"}', "--watch", url=base_url, key=api_key
    )
    run_id = re.search(r"created run ([0-9a-f-]{36})", created.stdout).group(1)  # type: ignore[union-attr]
    assert "checkpoints input" in created.stdout
    bad = cli("checkpoints", "input", run_id, "collect-1", "-", url=base_url, key=api_key,
              input='{"name": "Ana", "email": "nope", "amount": -1}')  # fmt: skip
    assert bad.exit_code == 2
    assert "data.amount" in bad.stderr and "data.email" in bad.stderr
    applicant = '{"name": "Ana", "email": "ana@example.com", "amount": 5}'
    good = cli("checkpoints", "input", run_id, "collect-1", applicant, url=base_url, key=api_key)
    assert good.exit_code == 0 and "resolved: submitted" in good.stdout
    assert cli("runs", "watch", run_id, url=base_url, key=api_key).exit_code == 0


def test_errors_are_messages_and_exit_codes(base_url: str, api_key: str) -> None:
    """Each kind of failure has its own exit status (README, "The CLI"), so scripts can tell them apart."""
    missing = cli("runs", "get", "no-such-run", url=base_url, key=api_key)
    assert missing.exit_code == 5 and "404 Not found: run 'no-such-run' does not exist" in missing.stderr
    invalid = cli("runs", "create", "counter", "-i", '{"name": "x", "count": 0}', url=base_url, key=api_key)
    assert invalid.exit_code == 2 and "input.count" in invalid.stderr  # the API's 422: bad input
    not_json = cli("runs", "create", "echo", "-i", "{oops", url=base_url, key=api_key)
    assert not_json.exit_code == 2 and "--input is not JSON" in not_json.stderr
    unreachable = cli("runs", "list", url="http://127.0.0.1:9")
    assert unreachable.exit_code == 3 and "cannot reach the API" in unreachable.stderr
    bad_key = cli("workflows", "list", url=base_url, key="ar_not-a-key")
    assert bad_key.exit_code == 4 and "401" in bad_key.stderr
    run = json.loads(cli("runs", "create", "approval", "-i", json.dumps(ARTICLE), "--json", url=base_url,
                         key=api_key).stdout)  # fmt: skip
    cli("runs", "watch", run["run_id"], url=base_url, key=api_key)  # until it waits for the review
    assert cli("runs", "cancel", run["run_id"], url=base_url, key=api_key).exit_code == 0
    ended = cli("runs", "cancel", run["run_id"], url=base_url, key=api_key)
    assert ended.exit_code == 6 and "409" in ended.stderr  # a conflict
    failed = cli("runs", "create", "failing", "-i", '{"hello": "x"}', "--watch", url=base_url, key=api_key)
    assert failed.exit_code == 1 and "run failed" in failed.stdout


def test_api_keys_of_the_local_stack_and_of_a_table(base_url: str, tenant: str) -> None:
    # The local stack: its loopback-only admin routes (no --table; the test session's TABLE_NAME is set).
    created = cli(
        "api-key", "create", "--tenant", tenant, "--principal", "ops", "--table", "", "--json", url=base_url
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["key"].startswith("ar_") and key["tenant"] == tenant
    bearer = {"Authorization": f"Bearer {key['key']}"}
    assert httpx.get(f"{base_url}/v1/runs", headers=bearer).status_code == 200
    listed = cli("api-key", "list", "--tenant", tenant, "--table", "", url=base_url)
    assert key["key_id"] in listed.stdout and "ops" in listed.stdout
    revoked = cli("api-key", "revoke", key["key_id"], "--table", "", url=base_url)
    assert revoked.exit_code == 0 and f"revoked key {key['key_id']}" in revoked.stdout
    assert httpx.get(f"{base_url}/v1/runs", headers=bearer).status_code == 401
    again = cli("api-key", "revoke", key["key_id"], "--table", "", url=base_url)
    assert again.exit_code == 5 and "no key" in again.stderr  # not found
    # A page of another origin can't use them (a browser sends Origin).
    foreign = httpx.get(f"{base_url}/_local/api-keys", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403

    # The table named by TABLE_NAME (here the local cloud's), as an operator with AWS credentials would.
    plain = cli("api-key", "create", "--tenant", tenant, url=base_url)
    secret = plain.stdout.strip()
    assert secret.startswith("ar_") and "shown only now" in plain.stderr
    rows = json.loads(cli("api-key", "list", "--tenant", tenant, "--json", url=base_url).stdout)
    assert [r["tenant"] for r in rows] == [tenant]
    assert cli("api-key", "revoke", secret, url=base_url).exit_code == 0  # by the key itself
    assert json.loads(cli("api-key", "list", "--tenant", tenant, "--json", url=base_url).stdout) == []


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(r"agent-runtime \S+ \(agent-runtime-client 0\.1\.0\)\n", result.stdout)


def _commands(group: typer.Typer) -> list[list[str]]:
    command = get_command(group)
    found: list[list[str]] = [[]]
    for name, sub in getattr(command, "commands", {}).items():
        found.append([name])
        found += [[name, leaf] for leaf in getattr(sub, "commands", {})]
    return found


@pytest.mark.parametrize("width", [50, 80, 140])
def test_help_never_breaks_a_word(width: int) -> None:
    click_app = get_command(app)
    for path in _commands(app):
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
        assert result.exit_code == 0, (path, result.output)
        assert "…" not in result.stdout, (path, width, result.stdout)
        shown = set(re.findall(r"[\w'`-]+", result.stdout))
        node = click_app
        for name in path:
            node = node.commands[name]  # type: ignore[attr-defined]
        texts = [node.help or ""] + [getattr(p, "help", None) or "" for p in node.params]
        for word in re.findall(r"[\w'`-]+", " ".join(texts)):
            assert word in shown, (
                f"{' '.join(path)} --help at {width} columns broke {word!r}:\n{result.stdout}"
            )

"""`agent-runtime dev` with the user's workflow modules, as a real process in a project directory of
its own: it refuses to start on a module that can't be loaded (the module, the exception, a hint),
and while it runs it reloads the modules when they are saved, a run of the old code finishing on
the old code, and a broken save answering 503 on the workflow endpoints while the rest serves on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import free_port

pytestmark = pytest.mark.timeout(300)

START_SECONDS = 120  # a loaded 2-core machine starts it in ~10-60 s
WAIT_SECONDS = 30

# Workflows that ask for approval, then answer with which code ran them (`marker`): `research` with
# steps, `triage` with the AWS Durable Execution SDK (`extra` adds a step before the question, which a
# replay of a run started without it would reject as non-deterministic).
WORKFLOW_TEMPLATE = """
import boto3
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from pydantic import BaseModel

from agent_runtime.workflows import CheckpointKind, StepContext, Workflow
from agent_runtime.workflows.durable import ask_human, durable_workflow


class Ask(BaseModel):
    topic: str


class Answer(BaseModel):
    topic: str
    code: str


def research(version: str, marker: str) -> Workflow:
    workflow = Workflow(
        "research",
        version,
        input_model=Ask,
        output_model=Answer,
        checkpoints={{"review": CheckpointKind("approval", payload_model=Ask)}},
    )

    @workflow.step
    def review(ctx: StepContext) -> dict[str, str]:
        ctx.checkpoint("review", prompt="Go on?", payload={{"topic": ctx.input.topic}})
        return {{"topic": ctx.input.topic, "code": marker}}

    return workflow


def triage(version: str, marker: str, extra: bool) -> Workflow:
    @durable_execution
    def handler(event: dict[str, str], context: DurableContext) -> dict[str, str]:
        if extra:
            context.step(lambda _: "new", name="extra")
        planned = context.step(lambda _: marker, name="plan")
        ask_human(context, "review", prompt="Go on?", payload={{"topic": event["topic"]}})
        return {{"topic": event["topic"], "code": planned + "/" + marker}}

    return durable_workflow(
        "triage",
        version,
        handler,
        input_model=Ask,
        output_model=Answer,
        checkpoints={{"review": CheckpointKind("approval", payload_model=Ask)}},
    )


# A client made at import, as Lambda code often does: it must reach the local stack, not AWS.
S3 = boto3.client("s3", region_name="us-east-1")


class Buckets(BaseModel):
    names: list[str]


buckets = Workflow("buckets", "1.0.0", input_model=Ask, output_model=Buckets)


@buckets.step
def list_buckets(ctx: StepContext) -> dict[str, list[str]]:
    return {{"names": [bucket["Name"] for bucket in S3.list_buckets()["Buckets"]]}}


WORKFLOWS = [buckets, {workflows}]
"""


def write_module(project: Path, *workflows: tuple[str, str], triage: tuple[str, bool] | None = None) -> None:
    """myagents/research.py registering research at each (version, marker), and triage 1.0.0 with
    (marker, extra) if given."""
    package = project / "myagents"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").touch()
    listed = [f"research({version!r}, {marker!r})" for version, marker in workflows]
    if triage is not None:
        listed.append(f"triage('1.0.0', {triage[0]!r}, {triage[1]!r})")
    text = WORKFLOW_TEMPLATE.format(workflows=", ".join(listed))
    (package / "research.py").write_text(text, encoding="utf-8")


def dev_env(**extra: str) -> dict[str, str]:
    """The test process's environment without what points at the session's own local cloud."""
    dropped = {"TABLE_NAME", "BUCKET_NAME", "STATE_MACHINE_ARN", "AGENT_RUNTIME_WORKFLOW_MODULES"}
    return {**{k: v for k, v in os.environ.items() if k not in dropped}, **extra}


def refused(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "agent_runtime_local.cli", "dev", "--ephemeral"]
    return subprocess.run(
        [*command, "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        env=dev_env(COLUMNS="200", **env),
        cwd=project,
        timeout=120,
    )


def test_a_module_that_is_not_importable_stops_the_start_with_a_path_hint(tmp_path: Path) -> None:
    result = refused(tmp_path, "--workflows", "myagents.research")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "myagents.research failed to load" in result.stderr
    assert "ModuleNotFoundError: No module named 'myagents'" in result.stderr
    assert "PYTHONPATH" in result.stderr
    assert f"not importable from {tmp_path.resolve()}" in result.stderr
    assert "local stack on" not in result.stdout  # it never started


def test_a_module_that_raises_stops_the_start_with_the_exception_and_where(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("SETTINGS = {}\nLIMIT = SETTINGS['limit']\n", encoding="utf-8")
    result = refused(tmp_path, AGENT_RUNTIME_WORKFLOW_MODULES="broken")  # the variable works as --workflows
    assert result.returncode == 1, result.stdout + result.stderr
    assert "broken failed to load: KeyError: 'limit'" in result.stderr
    assert f'File "{tmp_path.resolve() / "broken.py"}", line 2' in result.stderr
    assert "importlib" not in result.stderr  # the user's frames, not the import machinery's
    assert "local stack on" not in result.stdout


def test_a_module_that_registers_nothing_stops_the_start_naming_workflows(tmp_path: Path) -> None:
    write_module(tmp_path, ("1.0.0", "one"))
    source = tmp_path / "myagents" / "research.py"
    source.write_text(source.read_text().replace("WORKFLOWS = [", "WORKFLOW = ["), encoding="utf-8")
    result = refused(tmp_path, "--workflows", "myagents.research")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "myagents.research failed to load: registers no workflow (it has no WORKFLOWS)" in result.stderr
    assert "it defines WORKFLOW = [...]: the runtime reads WORKFLOWS; rename it" in result.stderr
    # And a module whose WORKFLOWS is empty.
    source.write_text("WORKFLOWS = []\n", encoding="utf-8")
    result = refused(tmp_path, "--workflows", "myagents.research")
    assert result.returncode == 1
    assert "registers no workflow (WORKFLOWS is empty)" in result.stderr


@contextmanager
def dev(project: Path) -> Iterator[tuple[httpx.Client, Callable[[], str]]]:
    """The stack serving `project`'s myagents.research; yields a client and what it printed so far."""
    port = free_port()
    command = [sys.executable, "-m", "agent_runtime_local.cli", "dev", "--ephemeral", "--port", str(port)]
    with (project / "dev.log").open("w") as log:
        process = subprocess.Popen(
            [*command, "--workflows", "myagents.research", "--tenant-rate", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=dev_env(COLUMNS="200"),
            cwd=project,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                try:
                    if httpx.get(f"{base}/v1/workflows", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, (project / "dev.log").read_text()
                assert time.monotonic() < deadline, "dev server did not come up"
                time.sleep(0.2)
            with httpx.Client(base_url=base, timeout=30) as http:
                yield http, lambda: (project / "dev.log").read_text()
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            print((project / "dev.log").read_text())  # shown when the test fails


def until(what: str, check: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


def status(http: httpx.Client, run_id: str, wanted: set[str]) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}").json()
        return run if run["status"] in wanted else None

    result: dict[str, Any] = until(f"run {run_id} to be {wanted}", reached)
    return result


def start(http: httpx.Client, version: str, name: str = "research") -> str:
    body = {"workflow": {"name": name, "version": version}, "input": {"topic": "tides"}}
    reply = http.post("/v1/runs", json=body)
    assert reply.status_code == 201, reply.text
    run_id: str = reply.json()["run_id"]
    status(http, run_id, {"waiting_for_input"})
    return run_id


def approve_and_finish(http: httpx.Client, run_id: str) -> dict[str, Any]:
    reply = http.post(f"/v1/runs/{run_id}/checkpoints/review-1/approve", json={"comment": "ok"})
    assert reply.status_code == 200, reply.text
    return status(http, run_id, {"succeeded", "failed"})


def versions(http: httpx.Client) -> list[str] | None:
    reply = http.get("/v1/workflows/research")
    return [v["version"] for v in reply.json()["versions"]] if reply.status_code == 200 else None


def test_a_save_reloads_the_module_and_a_waiting_run_finishes_on_the_code_it_started_with(
    tmp_path: Path,
) -> None:
    write_module(tmp_path, ("1.0.0", "one"), triage=("one", False))
    with dev(tmp_path) as (http, output):
        assert "workflows from myagents.research: buckets 1.0.0, research 1.0.0, triage 1.0.0" in output()
        listed = http.post("/v1/runs", json={"workflow": {"name": "buckets"}, "input": {"topic": "-"}}).json()
        finished = status(http, listed["run_id"], {"succeeded", "failed"})
        assert finished["output"] == {"names": ["agent-runtime-local-artifacts"]}, finished["error"]
        old = start(http, "1.0.0")
        durable = start(http, "1.0.0", "triage")

        # Saved: both 1.0.0s changed (without a version bump; triage gained a step before its
        # question) and a research 2.0.0 added.
        write_module(tmp_path, ("1.0.0", "one-changed"), ("2.0.0", "two"), triage=("one-changed", True))
        until("2.0.0 to be served", lambda: versions(http) == ["2.0.0", "1.0.0"])
        until(
            "the hold notices",
            lambda: all(f"kept {n} 1.0.0 as it was" in output() for n in ("research", "triage")),
        )
        new = start(http, "2.0.0")
        assert approve_and_finish(http, new)["output"] == {"topic": "tides", "code": "two"}
        # The runs that waited through the reload finish on the code they started with: the durable
        # one replays its steps on that code (the saved code's extra step would not replay).
        finished = approve_and_finish(http, old)
        assert (finished["status"], finished["output"]) == ("succeeded", {"topic": "tides", "code": "one"})
        finished = approve_and_finish(http, durable)
        assert (finished["status"], finished["output"]) == (
            "succeeded",
            {"topic": "tides", "code": "one/one"},
        )
        # Once no run of the old 1.0.0 is active, 1.0.0 runs the code saved.
        for name in ("research", "triage"):
            until(f"{name} 1.0.0 to take the new code", lambda n=name: f"{n} 1.0.0: no run of" in output())
        assert approve_and_finish(http, start(http, "1.0.0"))["output"]["code"] == "one-changed"
        changed = approve_and_finish(http, start(http, "1.0.0", "triage"))
        assert changed["output"]["code"] == "one-changed/one-changed"

        # A broken save: the workflow endpoints say which module and why; the rest serves on.
        waiting = start(http, "2.0.0")
        source = tmp_path / "myagents" / "research.py"
        source.write_text(source.read_text() + "\nWORKFLOWS.append(\n", encoding="utf-8")
        refused = until("a 503", lambda: (r := http.get("/v1/workflows")).status_code == 503 and r)
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert (problem["status"], problem["module"]) == (503, "myagents.research")
        assert problem["error"].startswith("SyntaxError")
        assert "myagents.research failed to reload" in problem["detail"]
        until("the failure printed", lambda: "reload failed" in output())
        create = http.post("/v1/runs", json={"workflow": {"name": "research"}, "input": {"topic": "x"}})
        assert (create.status_code, create.json()["module"]) == (503, "myagents.research")
        assert http.get("/v1/workflows/research/schemas").status_code == 503
        echo = http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {"n": 1}})
        assert echo.status_code == 201, echo.text  # built-ins are not the broken module's
        assert approve_and_finish(http, waiting)["output"]["code"] == "two"  # on the last good code

        # Fixed: served again, with what was saved.
        write_module(
            tmp_path,
            ("1.0.0", "one-changed"),
            ("2.0.0", "two"),
            ("2.1.0", "two-one"),
            triage=("one-changed", True),
        )
        until("the fixed module to be served", lambda: versions(http) == ["2.1.0", "2.0.0", "1.0.0"])
        assert http.get("/v1/workflows").status_code == 200

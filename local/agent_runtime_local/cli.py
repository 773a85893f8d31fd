"""The `agent-runtime` command line: the local stack (`dev`), and a client of the API for people,
built on the Python SDK (agent_runtime_client). `--json` prints what scripts parse."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import typer
from typer import rich_utils as typer_rich

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from agent_runtime_client import Client
    from agent_runtime_client.models import Checkpoint, Event, Run

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    help="agent-runtime: workflows for AI agents and humans, on AWS serverless.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

# Help is drawn at least this wide: narrower, rich squeezes its option tables until words break ("env
# var: AGENT_RUNTIME_…"). A narrower terminal wraps the lines, whole words intact. TERMINAL_WIDTH, if
# set, is typer's own override and wins.
MIN_HELP_WIDTH = 80


def _wide_help_console(make: Callable[..., Console]) -> Callable[..., Console]:
    @wraps(make)
    def console(stderr: bool = False) -> Console:
        drawn = make(stderr=stderr)
        if typer_rich.MAX_WIDTH is None:
            drawn.width = max(MIN_HELP_WIDTH, drawn.width)
        return drawn

    return console


if not getattr(typer_rich._get_rich_console, "__wrapped__", None):
    typer_rich._get_rich_console = _wide_help_console(typer_rich._get_rich_console)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON (one object per line for watch) for scripts.")


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import PackageNotFoundError, version

        from agent_runtime_client import __version__ as sdk

        try:
            own = version("agent-runtime")
        except PackageNotFoundError:  # a checkout that isn't installed
            own = "unknown"
        typer.echo(f"agent-runtime {own} (agent-runtime-client {sdk})")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    url: str | None = typer.Option(
        None,
        "--url",
        envvar="AGENT_RUNTIME_URL",
        help="The API's base URL (by default http://127.0.0.1:9000, the local stack).",
        show_default=False,
    ),
    api_key: str | None = typer.Option(
        None,
        "--api-key",
        envvar="AGENT_RUNTIME_API_KEY",
        help="The API key (the local stack needs none).",
        show_default=False,
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """agent-runtime command line."""
    ctx.obj = {"url": url, "api_key": api_key}


@app.command(short_help="Run the whole stack locally on moto, behind an HTTP gateway on loopback.")
def dev(
    port: int = typer.Option(9000, help="Port to serve the API on."),
    host: str = typer.Option(
        "127.0.0.1", help="Interface to bind. Anything but loopback needs --require-keys."
    ),
    data_dir: str = typer.Option(
        ".agent-runtime",
        "--data-dir",
        envvar="AGENT_RUNTIME_DATA_DIR",
        help="Where runs, events, threads, artifacts, keys and deliveries are kept across restarts.",
    ),
    ephemeral: bool = typer.Option(
        False, help="Keep nothing: state lives in memory and ends with the process."
    ),
    recover: bool = typer.Option(
        False,
        help="Start from every whole record of a damaged --data-dir (its files are copied to "
        "damaged-<time>/ first); without it, a data dir that can't be read fully is refused.",
    ),
    require_keys: bool = typer.Option(
        False, help="Refuse requests without an API key (no keyless tenant 'default')."
    ),
    tenant_rate: float | None = typer.Option(
        None,
        help="Requests per second each tenant may make, 0 for no limit (default: the cloud's, "
        "TENANT_THROTTLE in functions/manifest.py).",
        show_default=False,
    ),
    tenant_burst: int | None = typer.Option(
        None, help="Requests a tenant may make at once (default: the cloud's).", show_default=False
    ),
    allowed_host: list[str] = typer.Option(  # noqa: B008 (typer's way to take an option repeatedly)
        [],
        "--allowed-host",
        help="A Host name to serve besides localhost/127.0.0.1/::1 and --host (repeat for more); any "
        "other Host is refused, as a DNS-rebinding page sends its own.",
    ),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
    workflows: str = typer.Option(
        "",
        "--workflows",
        envvar="AGENT_RUNTIME_WORKFLOW_MODULES",
        help="Your workflow modules, comma-separated import paths (myagents.research), each with "
        "WORKFLOWS = [...]; the current directory is on the path.",
        show_default=False,
    ),
    reload: bool = typer.Option(True, help="Reload the workflow modules when their files change."),
) -> None:
    """Run the whole stack locally: moto (DynamoDB, S3, Step Functions executing the real state
    machine, Lambda routed to our handlers) behind an HTTP gateway. State is kept in --data-dir and
    restored on the next start (--ephemeral keeps nothing). Your --workflows are loaded from the
    current directory and reloaded when you save them. Ctrl-C stops it."""
    import ipaddress

    import uvicorn
    from rich.console import Console
    from rich.markup import escape

    from agent_runtime.observability import configure_local_logging
    from agent_runtime.workflows.registry import registry
    from agent_runtime_local.cloud import REGION, LocalCloud
    from agent_runtime_local.gateway import create_app
    from agent_runtime_local.persistence import DataDirError
    from agent_runtime_local.project import LoadError, Project
    from agent_runtime_local.reload_guard import ReloadGuard
    from agent_runtime_local.reloader import Reloader
    from functions.manifest import TENANT_THROTTLE, Throttle

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not require_keys:
        _fail(
            f"--host {host} would serve the keyless tenant 'default' to the network: "
            "add --require-keys (every request then needs an API key: agent-runtime api-key create)",
            2,
        )
    rate = TENANT_THROTTLE.rate_per_second if tenant_rate is None else tenant_rate
    throttle = Throttle(rate, tenant_burst or TENANT_THROTTLE.burst) if rate > 0 else None
    configure_local_logging(logging.WARNING)  # JSON lines with the bound fields, as Lambda writes them
    console = Console()
    # The user's modules, imported before anything starts: one that can't be, or registers nothing,
    # stops here with the reason instead of every endpoint failing later.
    project = Project(Path.cwd(), [m.strip() for m in workflows.split(",") if m.strip()])
    project.put_on_path()
    # The modules are imported before the stack starts: give them what they would find after it
    # (moto hooks every boto3 client made once it is imported; the stack's credentials and region,
    # which it sets again), so a client a module makes at import reaches the local stack, not AWS.
    import moto.core.models  # noqa: F401

    local_aws = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    os.environ.update({**local_aws, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
    os.environ.pop("AWS_PROFILE", None)

    try:
        loaded = project.load()
    except LoadError as error:
        _fail(escape(error.report()))
    os.environ["AGENT_RUNTIME_WORKFLOW_MODULES"] = ",".join(project.modules)  # what settings() reads
    # Webhooks may not call the gateway itself (nor the download endpoint, which LocalCloud adds).
    state = None if ephemeral else Path(data_dir)
    cloud = LocalCloud(environment=dev_environment(port, loopback), data_dir=state, recover=recover)
    try:
        cloud.start()
    except DataDirError as error:
        _fail(str(error))
    reloader: Reloader | None = None
    try:
        assert cloud.resources is not None
        url = f"http://{host}:{port}"
        console.print(f"[bold green]agent-runtime[/] local stack on [bold]{url}[/]  (Ctrl-C stops it)")
        console.print(
            f"  table {cloud.resources.table} · bucket {cloud.resources.bucket} · "
            f"state machine {cloud.resources.state_machine_arn}"
        )
        if cloud.restored is None:
            console.print("  state in memory only (--ephemeral): stopping forgets it")
        else:
            restored = cloud.restored
            console.print(
                f"  state in {Path(data_dir).resolve()}: restored {restored.items} items, "
                f"{restored.objects} objects, {restored.replayed} journal records"
            )
            if restored.kept_in is not None:
                console.print(
                    f"  recovered: {len(restored.skipped)} records left out (the files as they were: "
                    f"{restored.kept_in})",
                    markup=False,
                )
                for skipped in restored.skipped:
                    console.print(f"    left out: {skipped}", markup=False)

        def say(text: str) -> None:  # from the reload thread, and seen at once when piped to a file
            console.print(text)
            sys.stdout.flush()

        reloader = Reloader(project, registry(), loaded, say)
        if project.modules:
            names = ", ".join(f"{w.name} {w.version}" for w in loaded.workflows)
            watching = "reloaded when saved" if reload else "not reloaded (--no-reload)"
            console.print(f"  workflows from {', '.join(project.modules)}: {names} ({watching})")
        console.print(f"  try: curl -sS {url}/v1/workflows    API docs: {url}/docs")
        if reload and project.modules:
            reloader.start()
        # A wildcard bind has no name of its own to check: its every request needs a key (above).
        try:
            wildcard = ipaddress.ip_address(host).is_unspecified and not allowed_host
        except ValueError:  # a name
            wildcard = False
        hosts = None if wildcard else {host, *allowed_host}
        app = ReloadGuard(
            create_app(require_keys, throttle, allowed_hosts=hosts), reloader, detailed=not require_keys
        )
        uvicorn.run(app, host=host, port=port, log_level=log_level)
    finally:
        if reloader is not None:
            reloader.stop()
        cloud.stop()
    console.print("agent-runtime local stack stopped")


def dev_environment(port: int, loopback: bool) -> dict[str, str]:
    """The settings `dev` adds to the local stack's: webhooks never call the gateway itself; served to
    the network, a tenant's callback must not reach this host's loopback services either (it would
    read 512 bytes of their answer): public https only, unless the operator allows hosts with
    WEBHOOK_ALLOWED_HOSTS."""
    from agent_runtime_local.cloud import DENIED_PORTS

    environment = {DENIED_PORTS: str(port)}
    if not loopback:
        environment["WEBHOOK_ALLOW_HTTP_LOOPBACK"] = "false"
        environment["WEBHOOK_ALLOWED_HOSTS"] = os.environ.get("WEBHOOK_ALLOWED_HOSTS", "")
    return environment


# -- shared plumbing --------------------------------------------------------------------------------
def _out() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _fail(message: str, code: int = 1) -> NoReturn:
    _err().print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(code)


def _client(ctx: typer.Context) -> Client:
    from agent_runtime_client import Client

    settings = ctx.find_root().obj or {}
    return Client(settings.get("url"), settings.get("api_key"))


def _api_errors(command: Callable[P, R]) -> Callable[P, R]:
    """API errors as a message on stderr and exit status 1, not a traceback."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        from agent_runtime_client import AgentRuntimeError, APIConnectionError, APIError

        try:
            return command(*args, **kwargs)
        except APIError as error:
            problem = error.problem
            lines = [f"{problem.status} {problem.title}: {problem.detail}"]
            lines += [f"  {e.field}: {e.message}" for e in problem.errors]
            if problem.status_now:
                lines.append(f"  status now: {problem.status_now}")
            _fail("\n".join(lines))
        except APIConnectionError as error:
            _fail(f"cannot reach the API ({error})")
        except AgentRuntimeError as error:
            _fail(str(error))

    return run


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(_plain(value), ensure_ascii=False, indent=2))


def _plain(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _read_json(text: str, what: str) -> Any:
    """A JSON value given inline, as @file, or - for stdin."""
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as error:
            _fail(f"{what}: cannot read {text[1:]}: {error.strerror}", 2)
    try:
        return json.loads(text)
    except ValueError as error:
        _fail(f"{what} is not JSON: {error}", 2)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _grid(*headers: str) -> Table:
    """A borderless table whose columns (ids people copy, names, statuses, times) are never cut or
    wrapped; only the last, free text, wraps between words."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for header in headers[:-1]:
        table.add_column(header, no_wrap=True, overflow="ignore")
    table.add_column(headers[-1], overflow="fold")
    return table


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


STATUS_STYLE = {
    "queued": "cyan",
    "running": "blue",
    "waiting_for_input": "yellow",
    "succeeded": "green",
    "failed": "red",
    "cancelled": "magenta",
    "timed_out": "red",
    "pending": "yellow",
    "resolved": "green",
    "expired": "red",
}


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


# -- runs -------------------------------------------------------------------------------------------
runs_app = typer.Typer(help="Create, list, follow and cancel runs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")


def _run_summary(run: Run) -> None:
    out = _out()
    out.print(f"run [bold]{run.run_id}[/]  {run.workflow.name} {run.workflow.version}  {_status(run.status)}")
    out.print(f"  created {_when(run.created_at)}  updated {_when(run.updated_at)}")
    if run.error is not None:
        out.print(f"  [red]error[/] {run.error.type}: {run.error.message}")
    if run.output is not None:
        out.print("  output " + json.dumps(run.output, ensure_ascii=False), soft_wrap=True, markup=False)


@runs_app.command("create")
@_api_errors
def runs_create(
    ctx: typer.Context,
    workflow: str = typer.Argument(..., help="The workflow's name."),
    input: str = typer.Option("{}", "--input", "-i", help="The input: JSON, @file or - (stdin)."),
    version: str | None = typer.Option(None, help="The workflow version (default: the latest)."),
    config: str | None = typer.Option(None, help="The run's config: JSON, @file or -."),
    metadata: str | None = typer.Option(None, help="Your own metadata: a JSON object."),
    callback_url: str | None = typer.Option(None, help="Where to POST signed webhooks."),
    idempotency_key: str | None = typer.Option(None, help="Reuse to create at most one run (default: new)."),
    watch: bool = typer.Option(False, "--watch", help="Then draw its timeline until it waits or ends."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Create a run of a workflow."""
    with _client(ctx) as client:
        run = client.runs.create(
            workflow,
            _read_json(input, "--input"),
            version=version,
            config=_read_json(config, "--config") if config else None,
            metadata=_read_json(metadata, "--metadata") if metadata else None,
            callback_url=callback_url,
            idempotency_key=idempotency_key,
        )
        if json_output and not watch:
            _print_json(run)
            return
        if not json_output:
            _out().print(f"created run [bold]{run.run_id}[/] ({run.workflow.name} {run.workflow.version})")
        if watch:
            _watch(client, run.run_id, follow=False, json_output=json_output)


@runs_app.command("list")
@_api_errors
def runs_list(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help="Only runs in this status."),
    workflow: str | None = typer.Option(None, help="Only runs of this workflow."),
    limit: int = typer.Option(20, min=1, help="At most this many runs (newest first)."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List runs, newest first."""
    from itertools import islice

    with _client(ctx) as client:
        runs = list(
            islice(client.runs.list(status=status, workflow=workflow, page_size=min(limit, 100)), limit)
        )
    if json_output:
        _print_json(runs)
        return
    table = _grid("run", "workflow", "status", "created")
    for run in runs:
        name = f"{run.workflow.name} {run.workflow.version}"
        table.add_row(run.run_id, name, _status(run.status), _when(run.created_at))
    _out().print(table if runs else "no runs")


@runs_app.command("get")
@_api_errors
def runs_get(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Show a run: status, output or error."""
    with _client(ctx) as client:
        run = client.runs.get(run_id)
    if json_output:
        _print_json(run)
    else:
        _run_summary(run)


@runs_app.command("cancel")
@_api_errors
def runs_cancel(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Cancel a run that has not ended (its pending checkpoint too)."""
    with _client(ctx) as client:
        run = client.runs.cancel(run_id)
    if json_output:
        _print_json(run)
    else:
        _out().print(f"run [bold]{run.run_id}[/] {_status(run.status)}")


@runs_app.command("watch")
@_api_errors
def runs_watch(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    follow: bool = typer.Option(
        False, "--follow", help="Keep following while the run waits for a human, until it ends."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Draw the run's timeline live from its event stream, until it waits for a human or ends.

    Exit status 0 when the run succeeded or waits for input, 1 when it failed, timed out or was
    cancelled."""
    with _client(ctx) as client:
        _watch(client, run_id, follow=follow, json_output=json_output)


def _watch(client: Client, run_id: str, *, follow: bool, json_output: bool) -> None:
    out = _out()
    start: datetime | None = None
    last: Event | None = None
    for event in client.runs.stream(run_id):
        last = event
        start = start or event.created_at
        if json_output:
            typer.echo(json.dumps(event.model_dump(mode="json"), ensure_ascii=False))
        else:
            out.print(_timeline_line(event, (event.created_at - start).total_seconds(), out.width))
        if event.type == "checkpoint.created" and not follow:
            run = client.runs.get(run_id)
            if run.status == "waiting_for_input":
                if not json_output:
                    _waiting_hint(client, run)
                return
    run = client.runs.get(run_id)
    if not json_output:
        style = STATUS_STYLE.get(run.status, "white")
        detail = f" — {run.error.type}: {run.error.message}" if run.error else ""
        out.print(f"[bold {style}]run {run.status}[/]{detail}" + ("" if last else " (no events)"))
    if run.status in {"failed", "cancelled", "timed_out"}:
        raise typer.Exit(1)


def _timeline_line(event: Event, elapsed: float, width: int = 120) -> str:
    from rich.markup import escape

    data = event.data
    kind = event.type.split(".")[0]
    colour = {"run": "bold", "step": "dim", "checkpoint": "yellow", "artifact": "cyan"}.get(kind, "white")
    if event.type in {"run.succeeded", "run.failed", "run.cancelled", "run.timed_out"}:
        colour = STATUS_STYLE.get(event.type.split(".")[1], "bold")
    if event.type.startswith("step."):
        detail = str(data.get("step", ""))
        if "error" in data:
            detail += f"  {data['error']}"
    elif event.type == "checkpoint.created":
        assignee = f" → {data['assignee']}" if data.get("assignee") else ""
        detail = f"{data.get('checkpoint_id')} ({data.get('type')}) {data.get('prompt', '')!r}{assignee}"
    elif event.type.startswith("checkpoint."):
        detail = " ".join(
            str(data[k]) for k in ("checkpoint_id", "decision", "by", "comment", "reason") if data.get(k)
        )
    elif event.type == "artifact.created":
        detail = f"{data.get('name')} {data.get('size')} bytes  id {data.get('artifact_id')}"
    elif event.type == "run.succeeded":
        detail = "output " + json.dumps(data.get("output"), ensure_ascii=False)
    elif "error" in data:
        error = data["error"]
        detail = f"{error.get('type')}: {error.get('message')}" if isinstance(error, dict) else str(error)
    elif event.type.startswith("run."):
        workflow = data.get("workflow")
        detail = f"{workflow.get('name')} {workflow.get('version')}" if isinstance(workflow, dict) else ""
    else:
        detail = json.dumps(data, ensure_ascii=False) if data else ""
    room = max(30, width - 40)  # the line's first 40 columns: time, id and type
    if len(detail) > room:
        detail = detail[: room - 3] + "..."
    stamp = f"+{elapsed:.3f}s"
    return f"  {stamp:>9}  #{event.id:<3} [{colour}]{event.type:<20}[/] {escape(detail)}"


def _waiting_hint(client: Client, run: Run) -> None:
    from rich.markup import escape

    out = _out()
    for checkpoint in client.checkpoints.list(run.run_id):
        if checkpoint.status != "pending":
            continue
        prompt = escape(checkpoint.prompt)
        out.print(f"[bold yellow]waiting for input[/] on checkpoint {checkpoint.checkpoint_id}: {prompt}")
        ids = f"{run.run_id} {checkpoint.checkpoint_id}"
        if checkpoint.type == "approval":
            out.print(f"  agent-runtime checkpoints approve {ids} --comment TEXT", markup=False)
            out.print(f"  agent-runtime checkpoints reject {ids} --reason TEXT", markup=False)
        else:
            out.print(f"  agent-runtime checkpoints input {ids} '<JSON matching its schema>'", markup=False)


# -- checkpoints ------------------------------------------------------------------------------------
checkpoints_app = typer.Typer(help="Human checkpoints: the inbox, and answering them.", no_args_is_help=True)
app.add_typer(checkpoints_app, name="checkpoints")


def _checkpoint_rows(checkpoints: list[Checkpoint]) -> None:
    table = _grid("run", "checkpoint", "type", "status", "assignee", "prompt")
    for c in checkpoints:
        table.add_row(c.run_id, c.checkpoint_id, c.type, _status(c.status), _cell(c.assignee), c.prompt)
    _out().print(table if checkpoints else "no checkpoints")


@checkpoints_app.command("list")
@_api_errors
def checkpoints_list(
    ctx: typer.Context,
    run: str | None = typer.Option(None, "--run", help="Only this run's checkpoints (any status)."),
    status: str = typer.Option("pending", help="The inbox's status: pending, resolved, expired, cancelled."),
    assignee: str | None = typer.Option(None, help="Only checkpoints assigned to this principal."),
    json_output: bool = JSON_OPTION,
) -> None:
    """The inbox of checkpoints across runs (pending by default), or one run's checkpoints."""
    with _client(ctx) as client:
        if run:
            found = list(client.checkpoints.list(run))
        else:
            found = list(client.checkpoints.inbox(status=status, assignee=assignee))
    if json_output:
        _print_json(found)
    else:
        _checkpoint_rows(found)


@checkpoints_app.command("show")
@_api_errors
def checkpoints_show(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. review-1."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Show a checkpoint: its prompt, what the human is shown and what the answer must be."""
    with _client(ctx) as client:
        checkpoint = client.checkpoints.get(run_id, checkpoint_id)
    if json_output:
        _print_json(checkpoint)
        return
    _show_checkpoint(checkpoint)


def _show_checkpoint(c: Checkpoint) -> None:
    from rich.markup import escape

    out = _out()
    out.print(f"checkpoint [bold]{c.checkpoint_id}[/] of run {c.run_id}  {c.type}  {_status(c.status)}")
    out.print(f"  prompt    {escape(c.prompt)}")
    out.print(f"  assignee  {_cell(c.assignee)}   expires {_when(c.expires_at)}")
    if isinstance(c.payload, dict) and isinstance(c.payload.get("document"), str):
        out.print("  payload document:")
        for line in c.payload["document"].splitlines():
            out.print("    " + escape(line))
    else:
        out.print("  payload   " + escape(json.dumps(c.payload, ensure_ascii=False)))
    required = c.response_schema.get("required", [])
    fields = ", ".join(
        f"{name}{'' if name in required else '?'}" for name in c.response_schema.get("properties", {})
    )
    out.print(f"  answer    {{{fields}}}" if fields else "  answer    any JSON object")
    if c.resolution is not None:
        out.print("  resolved  " + json.dumps(c.resolution.model_dump(mode="json"), ensure_ascii=False))


def _answered(checkpoint: Checkpoint, json_output: bool) -> None:
    if json_output:
        _print_json(checkpoint)
        return
    decision = checkpoint.resolution.decision if checkpoint.resolution else checkpoint.status
    _out().print(f"checkpoint [bold]{checkpoint.checkpoint_id}[/] {_status(checkpoint.status)}: {decision}")


@checkpoints_app.command("approve")
@_api_errors
def checkpoints_approve(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. review-1."),
    comment: str | None = typer.Option(None, help="Kept in the resolution."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Approve an approval checkpoint; the run resumes."""
    with _client(ctx) as client:
        _answered(client.checkpoints.approve(run_id, checkpoint_id, comment=comment), json_output)


@checkpoints_app.command("reject")
@_api_errors
def checkpoints_reject(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. review-1."),
    reason: str | None = typer.Option(None, help="Why; the approval workflow fails the run with it."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Reject an approval checkpoint; the run resumes (and the workflow decides what that means)."""
    with _client(ctx) as client:
        _answered(client.checkpoints.reject(run_id, checkpoint_id, reason=reason), json_output)


@checkpoints_app.command("input")
@_api_errors
def checkpoints_input(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. collect-1."),
    data: str = typer.Argument(..., help="The answer: a JSON object, @file or - (stdin)."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Answer a checkpoint with data matching its response_schema (checked here before sending): an
    input checkpoint's input, or an approval checkpoint's decision {"approved": true|false, ...}."""
    answer = _read_json(data, "the answer")
    if not isinstance(answer, dict):
        _fail("the answer must be a JSON object", 2)
    with _client(ctx) as client:
        checkpoint = client.checkpoints.get(run_id, checkpoint_id)
        problems = schema_errors(answer, checkpoint.response_schema)
        if problems:
            _fail("the answer does not match the checkpoint's response_schema:\n" + "\n".join(problems), 2)
        _answered(client.checkpoints.submit(run_id, checkpoint_id, answer), json_output)


def schema_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """`  data.<field>: <message>` for each way `value` breaks `schema` (JSON Schema 2020-12)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    found = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        where = ".".join(["data", *(str(p) for p in error.absolute_path)])
        found.append(f"  {where}: {error.message}")
    return found


# -- artifacts --------------------------------------------------------------------------------------
artifacts_app = typer.Typer(help="Files runs produce.", no_args_is_help=True)
app.add_typer(artifacts_app, name="artifacts")


@artifacts_app.command("list")
@_api_errors
def artifacts_list(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    json_output: bool = JSON_OPTION,
) -> None:
    """A run's artifacts."""
    with _client(ctx) as client:
        found = client.artifacts.list(run_id)
    if json_output:
        _print_json(found)
        return
    table = _grid("artifact", "name", "bytes", "step", "created", "type")
    for a in found:
        table.add_row(a.artifact_id, a.name, str(a.size), a.step, _when(a.created_at), a.content_type)
    _out().print(table if found else "no artifacts")


@artifacts_app.command("get")
@_api_errors
def artifacts_get(
    ctx: typer.Context,
    artifact_id: str = typer.Argument(..., help="The artifact's id."),
    json_output: bool = JSON_OPTION,
) -> None:
    """An artifact's metadata and a short-lived download URL."""
    with _client(ctx) as client:
        artifact = client.artifacts.get(artifact_id)
    if json_output:
        _print_json(artifact)
        return
    out = _out()
    out.print(f"artifact [bold]{artifact.artifact_id}[/]  {artifact.name}  ({artifact.content_type})")
    out.print(f"  {artifact.size} bytes  sha256 {artifact.sha256}")
    out.print(f"  run {artifact.run_id}  step {artifact.step}  created {_when(artifact.created_at)}")
    out.print(f"  download until {_when(artifact.expires_at)}: {artifact.download_url}", soft_wrap=True)


@artifacts_app.command("download")
@_api_errors
def artifacts_download(
    ctx: typer.Context,
    artifact_id: str = typer.Argument(..., help="The artifact's id."),
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        help="A file or directory to write to, or - for stdout (by default: its name).",
    ),
) -> None:
    """Download an artifact (its size and SHA-256 checked)."""
    with _client(ctx) as client:
        if output == "-":
            sys.stdout.buffer.write(client.artifacts.download(artifact_id))
            sys.stdout.flush()
            return
        artifact = client.artifacts.get(artifact_id)
        target = client.artifacts.download(artifact_id, output or Path.cwd())
    shown = target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target
    _err().print(f"saved {shown} ({artifact.size} bytes, sha256 {artifact.sha256[:12]}… verified)")


# -- workflows --------------------------------------------------------------------------------------
workflows_app = typer.Typer(help="The workflow catalog and its JSON Schemas.", no_args_is_help=True)
app.add_typer(workflows_app, name="workflows")


@workflows_app.command("list")
@_api_errors
def workflows_list(ctx: typer.Context, json_output: bool = JSON_OPTION) -> None:
    """The workflows this API runs, with their versions and checkpoint kinds."""
    with _client(ctx) as client:
        found = client.workflows.list()
    if json_output:
        _print_json(found)
        return
    table = _grid("workflow", "latest", "versions", "checkpoints", "description")
    for w in found:
        kinds = ", ".join(f"{name} ({kind.type})" for name, kind in w.checkpoints.items()) or "-"
        table.add_row(w.name, w.latest_version, ", ".join(w.versions), kinds, w.description)
    _out().print(table)


@workflows_app.command("schemas")
@_api_errors
def workflows_schemas(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The workflow's name."),
    version: str | None = typer.Option(None, help="The version (default: the latest)."),
    json_output: bool = JSON_OPTION,
) -> None:
    """A workflow version's JSON Schemas (input, output, config, checkpoints) and schema_hash."""
    with _client(ctx) as client:
        schemas = client.workflows.schemas(name, version=version)
    if json_output:
        _print_json(schemas)
        return
    from rich.json import JSON

    out = _out()
    out.print(f"workflow [bold]{schemas.name} {schemas.version}[/]  schema_hash {schemas.schema_hash}")
    for part in ("input", "config", "output"):
        out.print(f"[bold]{part}[/]")
        out.print(JSON.from_data(getattr(schemas, part)))
    for kind_name, kind in schemas.checkpoints.items():
        out.print(f"[bold]checkpoint {kind_name}[/] ({kind.type}, on timeout {kind.on_timeout})")
        out.print(JSON.from_data({"payload": kind.payload, "response": kind.response}))


# -- API keys ---------------------------------------------------------------------------------------
api_key_app = typer.Typer(
    help="API keys: each maps to one tenant. With --table (or TABLE_NAME) they are managed in that "
    "DynamoDB table with your AWS credentials; otherwise in the local stack at --url.",
    no_args_is_help=True,
)
app.add_typer(api_key_app, name="api-key")

TABLE_OPTION = typer.Option(
    None,
    "--table",
    envvar="TABLE_NAME",
    help="The deployment's DynamoDB table, used with your AWS credentials (by default: the local stack).",
    show_default=False,
)


@contextmanager
def _table(table: str) -> Iterator[Any]:
    """The engine's API keys over `table` (the deployment's, with the caller's AWS credentials)."""
    os.environ["TABLE_NAME"] = table
    from agent_runtime.config import settings
    from agent_runtime.engine import Engine

    settings.cache_clear()
    yield Engine.default().api_keys


def _local_admin(ctx: typer.Context, method: str, path: str = "", **kwargs: Any) -> Any:
    """Call the local stack's loopback-only key admin routes (local_routes.py)."""
    import httpx

    from agent_runtime_client._core import settings as client_settings

    root = ctx.find_root().obj or {}
    url, _ = client_settings(root.get("url"), None)
    try:
        response = httpx.request(method, f"{url}/_local/api-keys{path}", timeout=30, **kwargs)
    except httpx.TransportError as error:
        _fail(f"cannot reach the local stack at {url} ({error!r}); for a deployment, pass --table")
    if response.status_code == 404 and "problem" not in response.headers.get("content-type", ""):
        _fail(f"{url} is not a local stack; for a deployment, pass --table")
    if not response.is_success:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        _fail(f"{response.status_code}: {detail}")
    return response.json()


@api_key_app.command("create")
def create_api_key(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="The tenant the key acts for."),
    principal: str | None = typer.Option(None, help="Who holds the key (shown as `by` on answers)."),
    table: str | None = TABLE_OPTION,
    json_output: bool = JSON_OPTION,
) -> None:
    """Create an API key and print it. It is shown once: only its hash is stored."""
    if table:
        with _table(table) as keys:
            key, info = keys.issue(tenant, principal)
        created = {"key": key, "key_id": info.key_id, "tenant": info.tenant_id, "principal": info.principal,
                   "created_at": info.created_at}  # fmt: skip
    else:
        created = _local_admin(ctx, "POST", json={"tenant": tenant, "principal": principal})
    if json_output:
        _print_json(created)
    else:
        typer.echo(created["key"])
        _err().print(f"key {created['key_id']} for tenant {created['tenant']}: shown only now, keep it safe")


@api_key_app.command("list")
def list_api_keys(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, help="Only this tenant's keys."),
    table: str | None = TABLE_OPTION,
    json_output: bool = JSON_OPTION,
) -> None:
    """List API keys (their ids, never the keys), newest first."""
    if table:
        with _table(table) as keys:
            listed = [
                {
                    "key_id": k.key_id,
                    "tenant": k.tenant_id,
                    "principal": k.principal,
                    "created_at": k.created_at,
                }
                for k in keys.list(tenant)
            ]
    else:
        listed = _local_admin(ctx, "GET", params={"tenant": tenant} if tenant else None)["data"]
    if json_output:
        _print_json(listed)
        return
    rows = _grid("key id", "tenant", "principal", "created")
    for k in listed:
        rows.add_row(k["key_id"], k["tenant"], k["principal"], k["created_at"])
    _out().print(rows if listed else "no keys")


@api_key_app.command("revoke")
def revoke_api_key(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The key's id (8+ hex digits, from list) or the key itself."),
    table: str | None = TABLE_OPTION,
    json_output: bool = JSON_OPTION,
) -> None:
    """Revoke an API key: it stops authenticating at once."""
    if table:
        with _table(table) as keys:
            info = keys.revoke(key)
        if info is None:
            _fail("no such key (give at least 8 hex digits of one key's id, or the key)")
        revoked = {"key_id": info.key_id, "tenant": info.tenant_id, "principal": info.principal,
                   "created_at": info.created_at}  # fmt: skip
    else:
        revoked = _local_admin(ctx, "DELETE", f"/{key}")
    if json_output:
        _print_json(revoked)
    else:
        _out().print(f"revoked key {revoked['key_id']} of tenant {revoked['tenant']}")


@api_key_app.command("sync-usage-plan")
def sync_usage_plan(
    usage_plan: str = typer.Option(
        ...,
        "--usage-plan",
        envvar="USAGE_PLAN_ID",
        help="The deployment's usage plan (its UsagePlanId output).",
        show_default=False,
    ),
    table: str = typer.Option(
        ..., "--table", envvar="TABLE_NAME", help="The deployment's DynamoDB table.", show_default=False
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Put every tenant that has keys in the deployment's per-tenant usage plan (idempotent): tenants
    whose keys were issued before it, or without USAGE_PLAN_ID, are refused (403) until then."""
    os.environ["USAGE_PLAN_ID"] = usage_plan
    with _table(table) as keys:
        added = keys.sync_usage_plan()
    if json_output:
        _print_json({"added": list(added)})
    else:
        _out().print(f"added {len(added)} tenant(s) to usage plan {usage_plan}: {', '.join(added) or '-'}")


if __name__ == "__main__":
    app()

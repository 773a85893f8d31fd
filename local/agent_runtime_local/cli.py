"""The `agent-runtime` command line: the local stack (`dev`), and a client of the API for people,
built on the Python SDK (agent_runtime_client). `--json` prints what scripts parse."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from enum import IntEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import typer
from typer import rich_utils as typer_rich

if TYPE_CHECKING:
    from rich.console import Console

    from agent_runtime_client import Client
    from agent_runtime_client.models import Checkpoint, Event, Run

P = ParamSpec("P")
R = TypeVar("R")


class Exit(IntEnum):
    """Exit statuses that say what failed, so a script can tell a bad key from a missing run."""

    ERROR = 1  # anything else: the server failed, or the watched run failed, timed out or was cancelled
    USAGE = 2  # the command or its input is wrong (click's own status), and the API's 400/413/415/422
    UNREACHABLE = 3  # the API can't be reached, or `dev` can't listen on its port
    AUTH = 4  # 401/403: no key, a wrong or revoked key, or a tenant outside the usage plan
    NOT_FOUND = 5  # 404: no such run, checkpoint, artifact, workflow or key
    CONFLICT = 6  # 409: already answered, already ended, Idempotency-Key reused with another body
    THROTTLED = 7  # 429 after the SDK's retries


def exit_status(http_status: int) -> Exit:
    if http_status in (401, 403):
        return Exit.AUTH
    if http_status == 404:
        return Exit.NOT_FOUND
    if http_status == 409:
        return Exit.CONFLICT
    if http_status == 429:
        return Exit.THROTTLED
    if 400 <= http_status < 500:
        return Exit.USAGE
    return Exit.ERROR


app = typer.Typer(
    help="agent-runtime: workflows for AI agents and humans, on AWS serverless.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

# Help is drawn at least this wide: narrower, rich squeezes its option tables until words break ("env
# var: AGENT_RUNTIME_…"). A narrower terminal wraps the lines, whole words intact. TERMINAL_WIDTH, if
# set, is typer's own override and wins.
MIN_HELP_WIDTH = 80
# How long `agent-runtime dev`'s threads hold the GIL before handing it over when asked (CPython: 5 ms).
GIL_SWITCH_SECONDS = 0.02


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


def _json_wanted(ctx: typer.Context, value: bool) -> bool:
    # Click processes the options a command line gives first: --fields may have been parsed already.
    return value or ctx.params.get("fields") is not None


JSON_OPTION = typer.Option(
    False, "--json", callback=_json_wanted, help="Print JSON (one object per line for watch) for scripts."
)


# The command's --fields, set as click parses it (every command that prints JSON has the option).
_FIELDS: ContextVar[str | None] = ContextVar("fields", default=None)


def _implies_json(ctx: typer.Context, value: str | None) -> str | None:
    # With --json already parsed (given, or both absent and so in declaration order), turn it on here.
    if value is not None:
        ctx.params["json_output"] = True
    _FIELDS.set(value)
    return value


FIELDS_OPTION = typer.Option(
    None,
    "--fields",
    metavar="FIELD,...",
    callback=_implies_json,
    help="Print JSON with only these fields (implies --json); dotted for nested ones: run_id,workflow.name",
    show_default=False,
)


def _examples(*commands: str) -> str:
    """A command's help epilog: examples, each on its own line as typed."""
    from rich.markup import escape

    return "[bold]Examples[/]\n" + "\n".join(f"  $ {escape(command)}" for command in commands)


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


@app.command(
    short_help="Run the whole stack locally on moto, behind an HTTP gateway on loopback.",
    epilog=_examples(
        "agent-runtime dev --port 9123",
        "agent-runtime dev --ephemeral    # keep nothing",
        "agent-runtime dev --host 0.0.0.0 --require-keys",
    ),
)
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
        # The variable's long name can't wrap in a narrow terminal: the README names it.
        show_envvar=False,
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
    # The port is taken before anything starts, so a busy one fails with a message, not after the banner.
    try:
        listener = listen(host, port)
    except OSError as error:
        _fail(
            f"cannot listen on {host}:{port} ({error.strerror}): another process (another "
            f"`agent-runtime dev`?) has it; stop that one or pick another port with --port",
            Exit.UNREACHABLE,
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

    from agent_runtime_local.memory import skip_ec2_tables

    skip_ec2_tables()  # before the user's modules could import moto's EC2 (memory.py)

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
        listener.close()
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
        # The gateway serves no WebSocket route: uvicorn need not load a WebSocket library.
        config = uvicorn.Config(app, log_level=log_level, ws="none")
        # Every run's threads (requests, executions, pollers) take turns at one GIL; CPython asks the
        # holder to hand it over every 5 ms, and each hand-over is a context switch. Under 8 echo
        # clients, 20 ms cut the server's CPU per run by 8% (34.8 -> 32.0 ms, interleaved runs).
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        # uvicorn.Server re-raises the Ctrl-C it handled (uvicorn.run swallows it the same way).
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run(sockets=[listener])
    finally:
        listener.close()
        if reloader is not None:
            reloader.stop()
        cloud.stop()
    console.print("agent-runtime local stack stopped")


def listen(host: str, port: int) -> socket.socket:
    """The API's listening socket, as socket.create_server makes it but with the protocol number named:
    asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections of a socket whose `proto` is
    IPPROTO_TCP, and create_server's is 0. Without it each response's last segment waited for the
    client's delayed ACK: about 40 ms on every request."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as create_server does on POSIX
        sock.bind((host, port))
        sock.listen()
    except OSError:
        sock.close()
        raise
    return sock


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
    """API errors as a message on stderr and an exit status that says what failed (Exit), not a
    traceback."""

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
            _fail("\n".join(lines), exit_status(problem.status))
        except APIConnectionError as error:
            _fail(f"cannot reach the API ({error})", Exit.UNREACHABLE)
        except AgentRuntimeError as error:
            _fail(str(error))

    return run


def _print_json(value: Any, *, lines: bool = False) -> None:
    """`value` as JSON (indented, or one line for streams), cut to the command's --fields if given."""
    fields = _FIELDS.get()
    plain = _plain(value)
    if fields:
        wanted = [f.strip() for f in fields.split(",") if f.strip()]
        plain = [_select(v, wanted) for v in plain] if isinstance(plain, list) else _select(plain, wanted)
    typer.echo(json.dumps(plain, ensure_ascii=False, indent=None if lines else 2))


_MISSING = object()


def _select(value: Any, fields: list[str]) -> dict[str, Any]:
    """The dotted `fields` of an object, nested as they were; an unknown one is a usage error naming
    the fields there are (as gh does)."""
    chosen: dict[str, Any] = {}
    for field in fields:
        found: Any = value
        for part in field.split("."):
            found = found.get(part, _MISSING) if isinstance(found, dict) else _MISSING
        if found is _MISSING:
            known = ", ".join(sorted(value)) if isinstance(value, dict) else "none"
            _fail(f"--fields: no field {field!r}; the fields are: {known}", Exit.USAGE)
        into = chosen
        *parents, last = field.split(".")
        for part in parents:
            into = into.setdefault(part, {})
        into[last] = found
    return chosen


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


def _interactive() -> bool:
    """Whether stdout is a person's terminal (AGENT_RUNTIME_FORCE_TTY=1 says so for a pager)."""
    forced = os.environ.get("AGENT_RUNTIME_FORCE_TTY", "")
    if forced:
        return forced.lower() not in {"0", "false", "no"}
    return sys.stdout.isatty()


# The free-text column (a prompt, a description) keeps at least this many columns on a terminal; the
# table is drawn wider than the terminal, which then wraps the line, rather than squeeze it.
MIN_FREE_TEXT = 24


class _Rows:
    """Rows of whole values. On a terminal, a table whose columns (ids people copy, names, statuses,
    times) are never cut or wrapped, only the last, free text, wrapped between words; in a pipe, one
    tab-separated line per row without header or colour, as gh prints them, for cut/awk/xargs."""

    def __init__(self, *headers: str) -> None:
        self.headers = headers
        self.rows: list[tuple[str, ...]] = []

    def add(self, *cells: Any) -> None:
        self.rows.append(tuple(_cell(c) for c in cells))

    def print(self, empty: str) -> None:
        if not self.rows:
            (_out() if _interactive() else _err()).print(empty)
        elif not _interactive():
            for row in self.rows:
                typer.echo("\t".join(" ".join(cell.split()) for cell in row))
        else:
            self._table()

    def _table(self) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False)
        for header in self.headers[:-1]:
            table.add_column(header, no_wrap=True, overflow="ignore")
        table.add_column(self.headers[-1], overflow="fold", min_width=MIN_FREE_TEXT)
        for row in self.rows:
            cells = zip(self.headers, row, strict=True)
            table.add_row(*(Text(c, STATUS_STYLE.get(c, "") if h == "status" else "") for h, c in cells))
        widths = [max(len(h), *(len(row[i]) for row in self.rows)) for i, h in enumerate(self.headers[:-1])]
        out = _out()
        out.width = max(out.width, sum(widths) + 2 * len(widths) + MIN_FREE_TEXT)
        out.print(table)


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


@runs_app.command(
    "create",
    epilog=_examples(
        'agent-runtime runs create echo --input \'{"hello": "world"}\'',
        "agent-runtime runs create approval --input @article.json --watch",
        'agent-runtime runs create echo -i - --metadata \'{"team": "ops"}\' --fields run_id < input.json',
    ),
)
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
    fields: str | None = FIELDS_OPTION,
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


@runs_app.command(
    "list",
    epilog=_examples(
        "agent-runtime runs list --status waiting_for_input",
        "agent-runtime runs list --workflow echo --limit 5 --fields run_id,status",
        "agent-runtime runs list | cut -f1    # ids only: a row per line in a pipe",
    ),
)
@_api_errors
def runs_list(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help="Only runs in this status."),
    workflow: str | None = typer.Option(None, help="Only runs of this workflow."),
    limit: int = typer.Option(20, min=1, help="At most this many runs (newest first)."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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
    rows = _Rows("run", "workflow", "status", "created")
    for run in runs:
        rows.add(run.run_id, f"{run.workflow.name} {run.workflow.version}", run.status, _when(run.created_at))
    rows.print("no runs")


@runs_app.command(
    "get",
    epilog=_examples("agent-runtime runs get RUN_ID", "agent-runtime runs get RUN_ID --fields status,output"),
)
@_api_errors
def runs_get(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
) -> None:
    """Show a run: status, output or error."""
    with _client(ctx) as client:
        run = client.runs.get(run_id)
    if json_output:
        _print_json(run)
    else:
        _run_summary(run)


@runs_app.command("cancel", epilog=_examples("agent-runtime runs cancel RUN_ID"))
@_api_errors
def runs_cancel(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
) -> None:
    """Cancel a run that has not ended (its pending checkpoint too)."""
    with _client(ctx) as client:
        run = client.runs.cancel(run_id)
    if json_output:
        _print_json(run)
    else:
        _out().print(f"run [bold]{run.run_id}[/] {_status(run.status)}")


@runs_app.command(
    "watch",
    epilog=_examples(
        "agent-runtime runs watch RUN_ID",
        "agent-runtime runs watch RUN_ID --follow --json    # one event per line",
    ),
)
@_api_errors
def runs_watch(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    follow: bool = typer.Option(
        False, "--follow", help="Keep following while the run waits for a human, until it ends."
    ),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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
            _print_json(event, lines=True)
        else:
            # Free text is cut to the terminal's width; ids never are, and nothing is in a pipe.
            room = max(30, out.width - 40) if _interactive() else None
            line = _timeline_line(event, (event.created_at - start).total_seconds(), room)
            out.print(line, soft_wrap=True)
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
        raise typer.Exit(Exit.ERROR)


def _timeline_line(event: Event, elapsed: float, room: int | None = None) -> str:
    """One event: time, id, type and its detail; a free-text or JSON detail is cut to `room`."""
    from rich.markup import escape

    data = event.data
    free = False  # whether the detail is free text or JSON that may be cut (an id never is)
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
        detail = f"{data.get('artifact_id')}  {data.get('name')} {data.get('size')} bytes"
    elif event.type == "run.succeeded":
        detail = "output " + json.dumps(data.get("output"), ensure_ascii=False)
        free = True
    elif "error" in data:
        error = data["error"]
        detail = f"{error.get('type')}: {error.get('message')}" if isinstance(error, dict) else str(error)
    elif event.type.startswith("run."):
        workflow = data.get("workflow")
        detail = f"{workflow.get('name')} {workflow.get('version')}" if isinstance(workflow, dict) else ""
    else:
        detail = json.dumps(data, ensure_ascii=False) if data else ""
        free = True
    if free and room is not None and len(detail) > room:
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
        out.print(
            f"[bold yellow]waiting for input[/] on checkpoint {checkpoint.checkpoint_id}: {prompt}",
            soft_wrap=True,  # the terminal wraps long lines; rich would break the commands below
        )
        ids = f"{run.run_id} {checkpoint.checkpoint_id}"
        if checkpoint.type == "approval":
            for command in (f"approve {ids} --comment TEXT", f"reject {ids} --reason TEXT"):
                out.print(f"  agent-runtime checkpoints {command}", markup=False, soft_wrap=True)
        else:
            answer = f"  agent-runtime checkpoints input {ids} '<JSON matching its schema>'"
            out.print(answer, markup=False, soft_wrap=True)


# -- checkpoints ------------------------------------------------------------------------------------
checkpoints_app = typer.Typer(help="Human checkpoints: the inbox, and answering them.", no_args_is_help=True)
app.add_typer(checkpoints_app, name="checkpoints")


def _checkpoint_rows(checkpoints: list[Checkpoint]) -> None:
    rows = _Rows("run", "checkpoint", "type", "status", "assignee", "prompt")
    for c in checkpoints:
        rows.add(c.run_id, c.checkpoint_id, c.type, c.status, c.assignee, c.prompt)
    rows.print("no checkpoints")


@checkpoints_app.command(
    "list",
    epilog=_examples(
        "agent-runtime checkpoints list --assignee ana",
        "agent-runtime checkpoints list --run RUN_ID --fields checkpoint_id,type,status",
    ),
)
@_api_errors
def checkpoints_list(
    ctx: typer.Context,
    run: str | None = typer.Option(None, "--run", help="Only this run's checkpoints (any status)."),
    status: str = typer.Option("pending", help="The inbox's status: pending, resolved, expired, cancelled."),
    assignee: str | None = typer.Option(None, help="Only checkpoints assigned to this principal."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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


@checkpoints_app.command("show", epilog=_examples("agent-runtime checkpoints show RUN_ID review-1"))
@_api_errors
def checkpoints_show(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. review-1."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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


@checkpoints_app.command(
    "approve", epilog=_examples("agent-runtime checkpoints approve RUN_ID review-1 --comment 'Ship it.'")
)
@_api_errors
def checkpoints_approve(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. review-1."),
    comment: str | None = typer.Option(None, help="Kept in the resolution."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
) -> None:
    """Approve an approval checkpoint; the run resumes."""
    with _client(ctx) as client:
        _answered(client.checkpoints.approve(run_id, checkpoint_id, comment=comment), json_output)


@checkpoints_app.command(
    "reject", epilog=_examples("agent-runtime checkpoints reject RUN_ID review-1 --reason 'not yet'")
)
@_api_errors
def checkpoints_reject(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. review-1."),
    reason: str | None = typer.Option(None, help="Why; the approval workflow fails the run with it."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
) -> None:
    """Reject an approval checkpoint; the run resumes (and the workflow decides what that means)."""
    with _client(ctx) as client:
        _answered(client.checkpoints.reject(run_id, checkpoint_id, reason=reason), json_output)


@checkpoints_app.command(
    "input",
    epilog=_examples(
        'agent-runtime checkpoints input RUN_ID collect-1 \'{"name": "Ana", "amount": 5}\'',
        "agent-runtime checkpoints input RUN_ID collect-1 @answer.json",
    ),
)
@_api_errors
def checkpoints_input(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. collect-1."),
    data: str = typer.Argument(..., help="The answer: a JSON object, @file or - (stdin)."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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


def _assigned(checkpoint: Checkpoint, json_output: bool) -> None:
    if json_output:
        _print_json(checkpoint)
        return
    from rich.markup import escape

    who = escape(checkpoint.assignee) if checkpoint.assignee else "anyone"
    _out().print(f"checkpoint [bold]{checkpoint.checkpoint_id}[/] is now for {who}")


@checkpoints_app.command("claim", epilog=_examples("agent-runtime checkpoints claim RUN_ID review-1"))
@_api_errors
def checkpoints_claim(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. review-1."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
) -> None:
    """Assign a pending checkpoint to yourself (your key's principal); refused while someone else holds it."""
    with _client(ctx) as client:
        _assigned(client.checkpoints.claim(run_id, checkpoint_id), json_output)


@checkpoints_app.command(
    "assign",
    epilog=_examples(
        "agent-runtime checkpoints assign RUN_ID review-1 ana",
        "agent-runtime checkpoints assign RUN_ID review-1 --anyone",
    ),
)
@_api_errors
def checkpoints_assign(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    checkpoint_id: str = typer.Argument(..., help="The checkpoint's id, e.g. review-1."),
    assignee: str | None = typer.Argument(None, help="Who it waits on now."),
    anyone: bool = typer.Option(False, "--anyone", help="Unassign it: back to everyone's inbox."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
) -> None:
    """Reassign a pending checkpoint to someone, or with --anyone to nobody in particular."""
    if (assignee is None) == (not anyone):
        _fail("give either an assignee or --anyone", 2)
    with _client(ctx) as client:
        _assigned(client.checkpoints.assign(run_id, checkpoint_id, None if anyone else assignee), json_output)


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


@artifacts_app.command("list", epilog=_examples("agent-runtime artifacts list RUN_ID"))
@_api_errors
def artifacts_list(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
) -> None:
    """A run's artifacts."""
    with _client(ctx) as client:
        found = client.artifacts.list(run_id)
    if json_output:
        _print_json(found)
        return
    rows = _Rows("artifact", "name", "bytes", "step", "created", "type")
    for a in found:
        rows.add(a.artifact_id, a.name, a.size, a.step, _when(a.created_at), a.content_type)
    rows.print("no artifacts")


@artifacts_app.command(
    "get", epilog=_examples("agent-runtime artifacts get ARTIFACT_ID --fields download_url")
)
@_api_errors
def artifacts_get(
    ctx: typer.Context,
    artifact_id: str = typer.Argument(..., help="The artifact's id."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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


@artifacts_app.command(
    "download",
    epilog=_examples(
        "agent-runtime artifacts download ARTIFACT_ID",
        "agent-runtime artifacts download ARTIFACT_ID -o out/ --force",
        "agent-runtime artifacts download ARTIFACT_ID -o - | less",
    ),
)
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
    force: bool = typer.Option(False, "--force", "-f", help="Replace the file if it exists."),
) -> None:
    """Download an artifact (its size and SHA-256 checked); an existing file is kept unless --force."""
    with _client(ctx) as client:
        if output == "-":
            sys.stdout.buffer.write(client.artifacts.download(artifact_id))
            sys.stdout.flush()
            return
        artifact = client.artifacts.get(artifact_id)
        try:
            target = client.artifacts.download(artifact_id, output or Path.cwd(), overwrite=force)
        except FileExistsError as error:
            _fail(f"{error.filename2 or error.filename} exists: add --force to replace it")
    shown = target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target
    _err().print(f"saved {shown} ({artifact.size} bytes, sha256 {artifact.sha256[:12]}… verified)")


# -- workflows --------------------------------------------------------------------------------------
workflows_app = typer.Typer(help="The workflow catalog and its JSON Schemas.", no_args_is_help=True)
app.add_typer(workflows_app, name="workflows")


@workflows_app.command("list", epilog=_examples("agent-runtime workflows list"))
@_api_errors
def workflows_list(
    ctx: typer.Context, json_output: bool = JSON_OPTION, fields: str | None = FIELDS_OPTION
) -> None:
    """The workflows this API runs, with their versions and checkpoint kinds."""
    with _client(ctx) as client:
        found = client.workflows.list()
    if json_output:
        _print_json(found)
        return
    rows = _Rows("workflow", "latest", "versions", "checkpoints", "description")
    for w in found:
        kinds = ", ".join(f"{name} ({kind.type})" for name, kind in w.checkpoints.items()) or "-"
        rows.add(w.name, w.latest_version, ", ".join(w.versions), kinds, w.description)
    rows.print("no workflows")


@workflows_app.command("schemas", epilog=_examples("agent-runtime workflows schemas approval --fields input"))
@_api_errors
def workflows_schemas(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The workflow's name."),
    version: str | None = typer.Option(None, help="The version (default: the latest)."),
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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
        reason = f"cannot reach the local stack at {url} ({error!r}); for a deployment, pass --table"
        _fail(reason, Exit.UNREACHABLE)
    if response.status_code == 404 and "problem" not in response.headers.get("content-type", ""):
        _fail(f"{url} is not a local stack; for a deployment, pass --table", Exit.UNREACHABLE)
    if not response.is_success:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        _fail(f"{response.status_code}: {detail}", exit_status(response.status_code))
    return response.json()


@api_key_app.command(
    "create",
    epilog=_examples(
        "agent-runtime api-key create --tenant acme --principal ana",
        "TABLE_NAME=<TableName> USAGE_PLAN_ID=<UsagePlanId> agent-runtime api-key create --tenant acme",
    ),
)
def create_api_key(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="The tenant the key acts for."),
    principal: str | None = typer.Option(None, help="Who holds the key (shown as `by` on answers)."),
    table: str | None = TABLE_OPTION,
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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


@api_key_app.command("list", epilog=_examples("agent-runtime api-key list --tenant acme"))
def list_api_keys(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, help="Only this tenant's keys."),
    table: str | None = TABLE_OPTION,
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
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
    rows = _Rows("key id", "tenant", "principal", "created")
    for k in listed:
        rows.add(k["key_id"], k["tenant"], k["principal"], k["created_at"])
    rows.print("no keys")


@api_key_app.command("revoke", epilog=_examples("agent-runtime api-key revoke 1a2b3c4d"))
def revoke_api_key(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The key's id (8+ hex digits, from list) or the key itself."),
    table: str | None = TABLE_OPTION,
    json_output: bool = JSON_OPTION,
    fields: str | None = FIELDS_OPTION,
) -> None:
    """Revoke an API key: it stops authenticating at once."""
    if table:
        with _table(table) as keys:
            info = keys.revoke(key)
        if info is None:
            _fail("no such key (give at least 8 hex digits of one key's id, or the key)", Exit.NOT_FOUND)
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
    fields: str | None = FIELDS_OPTION,
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

"""The `agent-runtime` command line."""

from __future__ import annotations

import logging

import typer

app = typer.Typer(
    help="agent-runtime: workflows for AI agents and humans, on AWS serverless.", no_args_is_help=True
)


@app.callback()
def main() -> None:
    """agent-runtime command line."""


@app.command()
def dev(
    port: int = typer.Option(9000, help="Port on 127.0.0.1 to serve the API on."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind; keep it loopback."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """Run the whole stack locally: moto (DynamoDB, S3, Step Functions executing the real state
    machine, Lambda routed to our handlers) behind an HTTP gateway. Ctrl-C stops it."""
    import uvicorn
    from rich.console import Console

    from agent_runtime.observability import configure_local_logging
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    configure_local_logging(logging.WARNING)  # JSON lines with the bound fields, as Lambda writes them
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's S3 endpoint for downloads
    console = Console()
    with LocalCloud() as cloud:
        assert cloud.resources is not None
        url = f"http://{host}:{port}"
        console.print(f"[bold green]agent-runtime[/] local stack on [bold]{url}[/]  (Ctrl-C stops it)")
        console.print(
            f"  table {cloud.resources.table} · bucket {cloud.resources.bucket} · "
            f"state machine {cloud.resources.state_machine_arn}"
        )
        console.print(f"  try: curl -sS {url}/v1/workflows")
        uvicorn.run(create_app(), host=host, port=port, log_level=log_level)
    console.print("agent-runtime local stack stopped")


api_key_app = typer.Typer(help="API keys: each maps to one tenant.", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")


@api_key_app.command("create")
def create_api_key(
    tenant: str = typer.Option(..., help="The tenant the key acts for."),
    principal: str | None = typer.Option(None, help="Who holds the key (shown as `by` on answers)."),
) -> None:
    """Create an API key in the table named by TABLE_NAME (with the AWS credentials in the
    environment) and print it. It is shown once: only its hash is stored."""
    from agent_runtime.engine import Engine

    typer.echo(Engine.default().api_keys.create(tenant, principal))


if __name__ == "__main__":
    app()

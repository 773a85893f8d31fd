"""The official `mcp` Python client (2.x, protocol 2026-07-28) against the /mcp door over real HTTP on
loopback: it discovers the server, lists the workflows as tools and calls one; its errors are the
protocol's. The client parses every result into its own 2026-07-28 models, so a shape the spec doesn't
allow fails here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import ErrorData

from agent_runtime.engine import Engine
from agent_runtime.workflows.registry import registry


def with_client(url: str, key: str, body: Callable[[Client], Awaitable[Any]], *, mode: str = "auto") -> Any:
    """Run `body` with a client authenticated by `key` (the same Bearer key as every door)."""

    async def main() -> Any:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            transport = streamable_http_client(url, http_client=http, terminate_on_close=False)
            async with Client(transport, mode=mode) as client:
                return await body(client)

    return anyio.run(main)


async def refused(call: Awaitable[Any]) -> ErrorData:
    """The error a call raises (it must raise one)."""
    try:
        await call
    except MCPError as error:
        return error.error
    raise AssertionError("the call succeeded")


def test_the_client_discovers_the_server_and_lists_every_workflow_as_a_tool(
    mcp_url: str, api_key: str
) -> None:
    async def body(client: Client) -> Any:
        return await client.list_tools()

    tools = {tool.name: tool for tool in with_client(mcp_url, api_key, body).tools}
    workflows = registry()
    assert set(tools) == set(workflows.names())
    for name, tool in tools.items():
        workflow = workflows.get(name)
        assert tool.input_schema == workflow.input_model.model_json_schema()
        assert tool.output_schema == workflow.output_model.model_json_schema()
        assert tool.description == (workflow.description or f"Runs the {name} workflow.")


def test_calling_a_tool_runs_its_workflow_and_returns_the_output_as_structured_content(
    mcp_url: str, api_key: str, tenant: str
) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool("echo", {"greeting": "hello", "n": 3})

    result = with_client(mcp_url, api_key, body)
    assert result.is_error is False
    assert result.structured_content == {"greeting": "hello", "n": 3}
    run_id = result.meta["io.agent-runtime/run"]["id"]
    run = Engine.default().runs.get(tenant, run_id)
    assert (run.status, run.protocol, run.output) == ("succeeded", "mcp", {"greeting": "hello", "n": 3})


def test_arguments_that_miss_the_input_schema_are_invalid_params_and_start_nothing(
    mcp_url: str, api_key: str, tenant: str
) -> None:
    async def body(client: Client) -> Any:
        return await refused(client.call_tool("counter", {"name": "x", "count": 0}))

    error = with_client(mcp_url, api_key, body)
    assert error.code == -32602
    assert error.data["errors"][0]["field"] == "params.arguments.count"
    assert list(Engine.default().runs.scan(tenant, 10)) == []


def test_a_workflow_that_waits_for_a_human_needs_the_tasks_extension_and_starts_nothing(
    mcp_url: str, api_key: str, tenant: str
) -> None:
    async def body(client: Client) -> Any:
        return await refused(client.call_tool("approval", {"title": "Q3"}))

    error = with_client(mcp_url, api_key, body)
    assert error.code == -32021
    assert error.data == {"requiredCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}}
    assert list(Engine.default().runs.scan(tenant, 10)) == []


def test_a_wrong_key_is_refused_before_any_method(mcp_url: str) -> None:
    response = httpx.post(
        mcp_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        headers={"Authorization": "Bearer ar_not-a-key"},
    )
    assert response.status_code == 401


def test_a_progress_callback_gets_the_runs_events_before_the_result(mcp_url: str, api_key: str) -> None:
    seen: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, message))

    async def body(client: Client) -> Any:
        return await client.call_tool("echo", {"a": 1}, progress_callback=on_progress)

    result = with_client(mcp_url, api_key, body)
    assert result.structured_content == {"a": 1}
    assert seen[0] == (1, "run.created")
    assert seen[-1][1] == "run.succeeded"
    assert [p for p, _ in seen] == sorted({p for p, _ in seen})

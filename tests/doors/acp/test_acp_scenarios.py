"""The ACP SDK's own test-client scenarios against the built-in echo_agent, with the real agntcy-acp
client over HTTP. The scenarios are agntcy/acp-sdk's test-client/examples/echo_agent_stateless.yaml,
echo_agent_stateful.yaml and echo_agent_stateless_streaming.yaml (they can't be downloaded at test
time): each operation below is one of theirs, in their order, with their inputs and their expected
output, checked the way their runner checks it (`output_at_least`: every expected key present with
the expected value, list items compared by position; a stream's first update against the first
expected one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from agntcy_acp import ACPClient, ApiClientConfiguration
from agntcy_acp.models import (
    AgentSearchRequest,
    Config,
    RunCreateStateful,
    RunCreateStateless,
    ThreadCreate,
    ThreadSearchRequest,
)
from pydantic import BaseModel

pytestmark = pytest.mark.e2e

WAIT = 30.0
DUDE = "What is up, Dude?"


@pytest.fixture
def client(base_url: str, api_key: str) -> Iterator[ACPClient]:
    configuration = ApiClientConfiguration(host=base_url, api_key={"x-api-key": api_key}, retries=0)
    with ACPClient(configuration=configuration) as acp:
        yield acp


@pytest.fixture
def agent_id(client: ACPClient) -> str:
    (agent,) = client.search_agents(AgentSearchRequest(name="echo_agent"))
    return str(agent.agent_id)


def dump(result: Any) -> Any:
    """As the scenario runner sees a result: model_dump(exclude_none=True), enums by value."""
    if isinstance(result, list):
        return [dump(r) for r in result]
    if isinstance(result, BaseModel):
        return dump(result.model_dump(exclude_none=True))
    if isinstance(result, dict):
        return {k: dump(v) for k, v in result.items()}
    return getattr(result, "value", result)


def at_least(expected: Any, actual: Any, where: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} is missing from {actual!r}"
            at_least(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        assert len(actual) >= len(expected), f"{where}: {actual!r} is shorter than {expected!r}"
        for index, value in enumerate(expected):
            at_least(value, actual[index], f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def messages(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"content": content, "type": kind} for kind, content in pairs]


def stateless(agent_id: str, text: str, **configurable: Any) -> RunCreateStateless:
    return RunCreateStateless(
        agent_id=agent_id,
        input={"messages": [{"type": "human", "content": text}]},
        config=Config(configurable=configurable),
    )


def test_echo_agent_stateless(client: ACPClient, agent_id: str) -> None:
    # 0 create_and_wait_for_stateless_run_output
    result = dump(client.create_and_wait_for_stateless_run_output(stateless(agent_id, DUDE, to_upper=True)))
    at_least(
        {
            "output": {
                "type": "result",
                "values": {"messages": messages(("human", DUDE), ("assistant", DUDE.upper()))},
            },
            "run": {"status": "success", "agent_id": agent_id},
        },
        result,
    )
    # 1 create_stateless_run
    result = dump(client.create_stateless_run(stateless(agent_id, DUDE, to_upper=True)))
    at_least({"status": "pending", "agent_id": agent_id}, result)
    # 2 wait_for_stateless_run_output
    run_id = result["run_id"]
    result = dump(client.wait_for_stateless_run_output(run_id, _request_timeout=WAIT))
    at_least(
        {
            "run": {
                "status": "success",
                "agent_id": agent_id,
                "run_id": run_id,
                "creation": {"agent_id": agent_id},
            }
        },
        result,
    )
    # 3 get_stateless_run
    at_least({"status": "success"}, dump(client.get_stateless_run(result["run"]["run_id"])))
    # 4 create_and_wait_for_stateless_run_output, with an interrupt
    result = dump(
        client.create_and_wait_for_stateless_run_output(
            stateless(agent_id, DUDE, to_upper=True, interrupt_count=1), _request_timeout=WAIT
        )
    )
    conversation = messages(("human", DUDE), ("assistant", DUDE.upper()))
    at_least(
        {
            "output": {"type": "interrupt", "interrupt": {"echo_interrupt": {"messages": conversation}}},
            "run": {"status": "interrupted", "agent_id": agent_id},
        },
        result,
    )
    # 5 resume_stateless_run
    run_id = result["run"]["run_id"]
    resume = {"messages": [*conversation, {"content": "Nothing, bro", "type": "human"}]}
    result = dump(client.resume_stateless_run(run_id, resume))
    at_least({"status": "pending", "run_id": run_id, "agent_id": agent_id}, result)
    # 6 wait_for_stateless_run_output
    result = dump(client.wait_for_stateless_run_output(run_id, _request_timeout=WAIT))
    at_least(
        {
            "output": {
                "type": "result",
                "values": {
                    "messages": [
                        *conversation,
                        {"content": "Nothing, bro", "type": "human"},
                        {"content": "NOTHING, BRO", "type": "assistant"},
                    ]
                },
            },
            "run": {"status": "success", "run_id": run_id, "agent_id": agent_id},
        },
        result,
    )
    assert len(result["output"]["values"]["messages"]) == 4  # replaced, not appended to the first two


def test_echo_agent_stateful(client: ACPClient, agent_id: str) -> None:
    # 0 create_thread
    thread = dump(client.create_thread(ThreadCreate(thread_id=None, metadata={})))
    at_least({"status": "idle"}, thread)
    thread_id = thread["thread_id"]
    # 1 search_threads (the scenario runs alone; here the tenant is the test's own)
    found = dump(client.search_threads(ThreadSearchRequest(status="idle", metadata=None)))
    at_least([{"thread_id": thread_id}], found)

    def run(text: str) -> Any:
        body = RunCreateStateful(
            agent_id=agent_id,
            input={"messages": [{"type": "human", "content": text}]},
            config=Config(configurable={"to_upper": True}),
        )
        return dump(client.create_and_wait_for_thread_run_output(thread_id, body, _request_timeout=WAIT))

    # 2 create_and_wait_for_thread_run_output
    first = run(DUDE)
    at_least(
        {
            "output": {
                "type": "result",
                "values": {"messages": messages(("human", DUDE), ("assistant", DUDE.upper()))},
            },
            "run": {"status": "success"},
        },
        first,
    )
    # 3 list_thread_runs
    at_least([{"run_id": first["run"]["run_id"]}], dump(client.list_thread_runs(thread_id)))
    # 4 get_thread
    at_least(
        {"values": {"messages": messages(("human", DUDE), ("assistant", DUDE.upper()))}},
        dump(client.get_thread(thread_id)),
    )
    # 5 get_thread_history
    at_least(
        [{"values": {"messages": messages(("human", DUDE))}}],
        dump(client.get_thread_history(thread_id, limit=10)),
    )
    # 6 create_and_wait_for_thread_run_output: the new input replaces the conversation
    second = run("Another message")
    expected = messages(("human", "Another message"), ("assistant", "ANOTHER MESSAGE"))
    at_least(
        {"output": {"type": "result", "values": {"messages": expected}}, "run": {"status": "success"}}, second
    )
    # 7 get_thread
    at_least({"values": {"messages": expected}}, dump(client.get_thread(thread_id)))
    # 8 delete_thread
    client.delete_thread(thread_id)


def test_echo_agent_stateless_streaming(client: ACPClient, agent_id: str) -> None:
    # 0 create_and_stream_stateless_run_output: the first update is the agent's values, still pending
    body = stateless(agent_id, "What is UP, Dude?", to_upper=True)
    stream = list(client.create_and_stream_stateless_run_output(body, _request_timeout=WAIT))
    at_least(
        {
            "event": "agent_event",
            "data": {
                "type": "values",
                "status": "pending",
                "values": {
                    "messages": messages(("human", "What is UP, Dude?"), ("assistant", "WHAT IS UP, DUDE?"))
                },
            },
        },
        dump(stream[0]),
    )
    # 1 create_stateless_run
    body = stateless(agent_id, "WHAT is up, Dude?", to_upper=False, to_lower=True)
    created = dump(client.create_stateless_run(body))
    at_least({"status": "pending"}, created)
    # 2 stream_stateless_run_output (the scenario's expectation is mis-indented, so its runner checks
    # nothing; this checks what it means: the run's values, lower-cased, and the final success)
    updates = [dump(u) for u in client.stream_stateless_run_output(created["run_id"], _request_timeout=WAIT)]
    expected = messages(("human", "WHAT is up, Dude?"), ("assistant", "what is up, dude?"))
    at_least(
        {"event": "agent_event", "data": {"type": "values", "values": {"messages": expected}}}, updates[0]
    )
    assert updates[-1]["data"]["status"] == "success"

"""The real ACP client (agntcy-acp, ACPClient and AsyncACPClient) against the local stack over HTTP:
search agents, get a descriptor, wait for a stateless run, stream a run, two thread runs sharing the
thread's state, a run that interrupts and is resumed, cancel. Authenticated with x-api-key, the way
the client sends keys (ApiClientConfiguration(api_key={"x-api-key": key}) becomes that header).

The client's SSE parser re-yields earlier events when a stream arrives in several chunks, so streamed
updates are de-duplicated by their event id."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import pytest
from agntcy_acp import ACPClient, ApiClientConfiguration, AsyncACPClient
from agntcy_acp.models import (
    AgentSearchRequest,
    Config,
    RunCreateStateful,
    RunCreateStateless,
    RunOutputStream,
    RunSearchRequest,
    StreamingMode,
    StreamMode,
    ThreadCreate,
)

pytestmark = pytest.mark.e2e

WAIT = 30.0  # seconds: every wait in this module is bounded


def configuration(base_url: str, api_key: str) -> ApiClientConfiguration:
    return ApiClientConfiguration(host=base_url, api_key={"x-api-key": api_key}, retries=0)


@pytest.fixture
def client(base_url: str, api_key: str) -> Iterator[ACPClient]:
    with ACPClient(configuration=configuration(base_url, api_key)) as acp:
        yield acp


def human(text: str) -> dict[str, Any]:
    return {"messages": [{"type": "human", "content": text}]}


def contents(values: Any) -> list[str]:
    return [m["content"] for m in values["messages"]]


def unique(events: Iterable[Any]) -> list[Any]:
    """Stream updates in order, each event id once (the client may repeat events)."""
    seen: list[str] = []
    out = []
    for event in events:
        assert isinstance(event, RunOutputStream), event  # an error would come back as a string
        assert event.event == "agent_event"
        if event.id not in seen:
            seen.append(event.id)
            out.append(event.data.actual_instance)
    ids = [int(i) for i in seen]
    assert ids == sorted(ids)
    return out


async def aunique(events: AsyncIterator[Any]) -> list[Any]:
    return unique([event async for event in events])


def echo_agent_id(client: ACPClient) -> str:
    (agent,) = client.search_agents(AgentSearchRequest(name="echo_agent", version="0.1.0"))
    return str(agent.agent_id)


def output_of(response: Any) -> Any:
    return response.output.actual_instance


def test_search_agents_and_descriptor(client: ACPClient) -> None:
    agents = client.search_agents(AgentSearchRequest(limit=100))
    assert {"echo_agent", "echo", "approval"} <= {a.metadata.ref.name for a in agents}
    echo = echo_agent_id(client)
    assert client.get_agent_by_id(echo).metadata.ref.version == "0.1.0"
    descriptor = client.get_acp_descriptor_by_id(echo)
    assert descriptor.metadata.ref.name == "echo_agent"
    specs = descriptor.specs
    assert specs.capabilities.threads and specs.capabilities.interrupts
    assert specs.capabilities.streaming.values and specs.capabilities.streaming.custom
    assert [i.interrupt_type for i in specs.interrupts] == ["echo_interrupt"]
    assert "to_upper" in specs.config["properties"]


def test_stateless_run_wait_and_stream(client: ACPClient) -> None:
    echo = echo_agent_id(client)
    waited = client.create_and_wait_for_stateless_run_output(
        RunCreateStateless(
            agent_id=echo, input=human("Hello ACP"), config=Config(configurable={"to_upper": True})
        ),
        _request_timeout=WAIT,
    )
    assert waited.run.status == "success"
    result = output_of(waited)
    assert result.type == "result"
    assert result.values["messages"][-1] == {"type": "assistant", "content": "HELLO ACP"}

    updates = unique(
        client.create_and_stream_stateless_run_output(
            RunCreateStateless(
                agent_id=echo, input=human("streamed"), stream_mode=StreamMode([StreamingMode.VALUES])
            ),
            _request_timeout=WAIT,
        )
    )
    # The output as the agent's last values while pending, then with the run's final status.
    assert [(u.type, u.status) for u in updates] == [("values", "pending"), ("values", "success")]
    assert contents(updates[-1].values)[-1] == "streamed"

    # A background run: poll it, join its stream, find it by search.
    run = client.create_stateless_run(
        RunCreateStateless(agent_id=echo, input=human("later"), metadata={"k": "v"})
    )
    done = client.wait_for_stateless_run_output(run.run_id, _request_timeout=WAIT)
    assert done.run.status == "success"
    replay = unique(client.stream_stateless_run_output(run.run_id, _request_timeout=WAIT))
    assert contents(replay[-1].values)[-1] == "later"
    found = client.search_stateless_runs(RunSearchRequest(agent_id=echo, metadata={"k": "v"}))
    assert [r.run_id for r in found] == [run.run_id]
    assert client.get_stateless_run(run.run_id).status == "success"
    client.delete_stateless_run(run.run_id)


def test_two_thread_runs_share_state(client: ACPClient) -> None:
    echo = echo_agent_id(client)
    thread = client.create_thread(ThreadCreate(metadata={"user": "ada"}))
    first = client.create_and_wait_for_thread_run_output(
        thread.thread_id, RunCreateStateful(agent_id=echo, input=human("one")), _request_timeout=WAIT
    )
    assert first.run.thread_id == thread.thread_id
    second = unique(
        client.create_and_stream_thread_run_output(
            thread.thread_id, RunCreateStateful(agent_id=echo, input=human("two")), _request_timeout=WAIT
        )
    )
    # As the reference echo agent: the input's messages replace the thread's conversation.
    assert contents(second[-1].values) == ["two", "two"]
    state = client.get_thread(thread.thread_id)
    assert state.status == "idle"
    assert [(m.role, m.content.actual_instance) for m in state.messages] == [
        ("human", "two"), ("assistant", "two"),
    ]  # fmt: skip
    assert len(client.list_thread_runs(thread.thread_id)) == 2
    history = client.get_thread_history(thread.thread_id)
    assert [h.checkpoint.checkpoint_id for h in history] == [second[-1].run_id, first.run.run_id]
    client.delete_thread(thread.thread_id)


def test_interrupt_and_resume(client: ACPClient) -> None:
    echo = echo_agent_id(client)
    config = Config(configurable={"interrupt_count": 1})
    waited = client.create_and_wait_for_stateless_run_output(
        RunCreateStateless(agent_id=echo, input=human("first"), config=config), _request_timeout=WAIT
    )
    assert waited.run.status == "interrupted"
    interrupt = output_of(waited)
    assert interrupt.type == "interrupt"
    assert interrupt.interrupt == {
        "echo_interrupt": {
            "messages": [{"type": "human", "content": "first"}, {"type": "assistant", "content": "first"}]
        }
    }
    resumed = client.resume_stateless_run(waited.run.run_id, {"echo_interrupt": human("second")})
    assert resumed.run_id == waited.run.run_id
    done = client.wait_for_stateless_run_output(waited.run.run_id, _request_timeout=WAIT)
    assert done.run.status == "success"
    assert output_of(done).values["messages"] == [
        {"type": "human", "content": "second"},
        {"type": "assistant", "content": "second"},
    ]

    # On a thread, the interrupt arrives on the stream and the run is resumed there.
    thread = client.create_thread(ThreadCreate())
    updates = unique(
        client.create_and_stream_thread_run_output(
            thread.thread_id,
            RunCreateStateful(agent_id=echo, input=human("ask"), config=config),
            _request_timeout=WAIT,
        )
    )
    assert [(u.type, u.status) for u in updates] == [("interrupt", "interrupted")]
    assert client.get_thread(thread.thread_id).status == "interrupted"
    client.resume_thread_run(thread.thread_id, updates[0].run_id, human("answer"))
    final = client.wait_for_thread_run_output(thread.thread_id, updates[0].run_id, _request_timeout=WAIT)
    assert contents(output_of(final).values) == ["answer", "answer"]


def test_cancel(client: ACPClient) -> None:
    echo = echo_agent_id(client)
    config = Config(configurable={"interrupt_count": 1})
    run = client.create_stateless_run(RunCreateStateless(agent_id=echo, input=human("stop"), config=config))
    deadline = time.monotonic() + WAIT
    while client.get_stateless_run(run.run_id).status != "interrupted":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    client.cancel_stateless_run(run.run_id)
    client.cancel_stateless_run(run.run_id)  # idempotent
    cancelled = client.wait_for_stateless_run_output(run.run_id, _request_timeout=WAIT)
    assert cancelled.run.status == "error"
    error = output_of(cancelled)
    assert (error.type, error.errcode) == ("error", 499)

    thread = client.create_thread(ThreadCreate(thread_id=str(uuid.uuid4())))
    on_thread = client.create_thread_run(
        thread.thread_id, RunCreateStateful(agent_id=echo, input=human("stop"), config=config)
    )
    client.cancel_thread_run(thread.thread_id, on_thread.run_id, action="rollback")  # cancel, then delete
    assert client.list_thread_runs(thread.thread_id) == []
    assert client.get_thread(thread.thread_id).status == "idle"


def test_async_client(base_url: str, api_key: str) -> None:
    async def session() -> None:
        async with AsyncACPClient(configuration=configuration(base_url, api_key)) as client:
            (agent,) = await client.search_agents(AgentSearchRequest(name="echo_agent"))
            echo = str(agent.agent_id)
            descriptor = await client.get_acp_descriptor_by_id(echo)
            assert descriptor.specs.capabilities.interrupts

            waited = await client.create_and_wait_for_stateless_run_output(
                RunCreateStateless(
                    agent_id=echo, input=human("Async"), config=Config(configurable={"to_lower": True})
                ),
                _request_timeout=WAIT,
            )
            assert output_of(waited).values["messages"][-1]["content"] == "async"
            streamed = await aunique(
                client.create_and_stream_stateless_run_output(
                    RunCreateStateless(agent_id=echo, input=human("s")), _request_timeout=WAIT
                )
            )
            assert streamed[-1].type == "values" and streamed[-1].status == "success"

            thread = await client.create_thread(ThreadCreate())
            for text in ("a", "b"):
                await client.create_and_wait_for_thread_run_output(
                    thread.thread_id,
                    RunCreateStateful(agent_id=echo, input=human(text)),
                    _request_timeout=WAIT,
                )
            messages = (await client.get_thread(thread.thread_id)).messages
            assert [m.content.actual_instance for m in messages] == ["b", "b"]

            config = Config(configurable={"interrupt_count": 1})
            run = await client.create_thread_run(
                thread.thread_id, RunCreateStateful(agent_id=echo, input=human("c"), config=config)
            )
            interrupted = await client.wait_for_thread_run_output(
                thread.thread_id, run.run_id, _request_timeout=WAIT
            )
            assert output_of(interrupted).type == "interrupt"
            await client.resume_thread_run(thread.thread_id, run.run_id, {"echo_interrupt": human("d")})
            done = await client.wait_for_thread_run_output(
                thread.thread_id, run.run_id, _request_timeout=WAIT
            )
            assert contents(output_of(done).values)[-2:] == ["d", "d"]
            replay = await aunique(
                client.stream_thread_run_output(thread.thread_id, run.run_id, _request_timeout=WAIT)
            )
            assert replay[-1].type == "values"

            other = await client.create_stateless_run(
                RunCreateStateless(agent_id=echo, input=human("x"), config=config)
            )
            await client.cancel_stateless_run(other.run_id)
            cancelled = await client.wait_for_stateless_run_output(other.run_id, _request_timeout=WAIT)
            assert output_of(cancelled).errcode == 499

    asyncio.run(asyncio.wait_for(session(), timeout=120))

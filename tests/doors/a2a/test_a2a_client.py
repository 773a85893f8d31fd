"""The real A2A client (a2a-sdk 1.x, unchanged, async) against the local stack over HTTP, on both
bindings (JSON-RPC and HTTP+JSON): card discovery, blocking and non-blocking sends, a stream to
completion, an approval reaching INPUT_REQUIRED and resumed by a message, cancel, list tasks with a
cursor, a stream dropped and resumed with Last-Event-ID, messageId as an idempotency key, and the
A2A-Version check. Push notifications: test_a2a_push.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.client.client import Client
from a2a.types import a2a_pb2 as pb
from a2a.utils.errors import InvalidParamsError, TaskNotCancelableError, UnsupportedOperationError
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Value

pytestmark = pytest.mark.e2e

BINDINGS = ["JSONRPC", "HTTP+JSON"]
WAIT = 60.0  # every session in this module is bounded


def run(session: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(session(), timeout=WAIT))


async def card_of(base_url: str, agent: str | None = None) -> pb.AgentCard:
    """Discovery as a client does it: the well-known path, no credentials."""
    async with httpx.AsyncClient() as anonymous:
        path = "/.well-known/agent-card.json" + (f"?agent={agent}" if agent else "")
        return await A2ACardResolver(anonymous, base_url, path).get_agent_card()


async def client_for(
    base_url: str, api_key: str, binding: str, agent: str | None, **config: Any
) -> tuple[Client, httpx.AsyncClient]:
    http = httpx.AsyncClient(headers={"x-api-key": api_key}, timeout=40)
    factory = ClientFactory(ClientConfig(httpx_client=http, supported_protocol_bindings=[binding], **config))
    return factory.create(await card_of(base_url, agent)), http


def text_message(text: str, **fields: Any) -> pb.Message:
    return pb.Message(message_id=str(uuid.uuid4()), role=pb.ROLE_USER, parts=[pb.Part(text=text)], **fields)


def data_message(data: dict[str, Any], **fields: Any) -> pb.Message:
    value = Value()
    value.struct_value.update(data)
    return pb.Message(message_id=str(uuid.uuid4()), role=pb.ROLE_USER, parts=[pb.Part(data=value)], **fields)


async def collect(stream: AsyncIterator[pb.StreamResponse]) -> list[pb.StreamResponse]:
    return [event async for event in stream]


def final_task(events: list[pb.StreamResponse]) -> pb.Task:
    (event,) = events
    assert event.HasField("task"), event
    return event.task


def event_id(event: pb.StreamResponse) -> int | None:
    payload = getattr(event, event.WhichOneof("payload"))
    metadata = MessageToDict(payload.metadata) if payload.HasField("metadata") else {}
    value = metadata.get("eventId")
    return int(value) if value is not None else None


def states(events: list[pb.StreamResponse]) -> list[str]:
    out = []
    for event in events:
        if event.HasField("task"):
            out.append(pb.TaskState.Name(event.task.status.state))
        elif event.HasField("status_update"):
            out.append(pb.TaskState.Name(event.status_update.status.state))
    return out


async def poll(client: Client, task_id: str, until: set[int]) -> pb.Task:
    for _ in range(200):
        task = await client.get_task(pb.GetTaskRequest(id=task_id))
        if task.status.state in until:
            return task
        await asyncio.sleep(0.1)
    raise AssertionError(f"task {task_id} stayed {pb.TaskState.Name(task.status.state)}")


def test_cards_are_public_and_describe_the_runtime_and_each_workflow(base_url: str) -> None:
    async def session() -> None:
        card = await card_of(base_url)
        skills = {s.id: s for s in card.skills}
        assert {"echo", "echo_agent", "approval", "intake"} <= set(skills)
        assert "human-approval" in skills["approval"].tags
        assert card.capabilities.streaming and card.capabilities.push_notifications
        assert card.capabilities.extended_agent_card
        assert [(i.protocol_binding, i.protocol_version, i.tenant) for i in card.supported_interfaces] == [
            ("JSONRPC", "1.0", ""),
            ("HTTP+JSON", "1.0", ""),
        ]
        schemes = {name: scheme.WhichOneof("scheme") for name, scheme in card.security_schemes.items()}
        assert schemes == {"apiKey": "api_key_security_scheme", "bearer": "http_auth_security_scheme"}
        assert card.security_schemes["apiKey"].api_key_security_scheme.name == "x-api-key"
        echo = await card_of(base_url, "echo_agent")
        assert {i.tenant for i in echo.supported_interfaces} == {"echo_agent"}
        assert all(i.url == f"{base_url}/a2a" for i in echo.supported_interfaces)
        assert [s.id for s in echo.skills] == ["echo_agent"]

    run(session)


def test_the_card_of_an_unknown_agent_is_404(base_url: str) -> None:
    response = httpx.get(f"{base_url}/.well-known/agent-card.json?agent=nope")
    assert response.status_code == 404
    assert response.json()["error"]["details"][0]["reason"] == "TASK_NOT_FOUND"


@pytest.mark.parametrize("binding", BINDINGS)
def test_extended_card_needs_a_key_and_lists_versions_and_schemas(
    base_url: str, api_key: str, binding: str
) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "approval")
        async with http:
            card = await client.get_extended_agent_card(pb.GetExtendedAgentCardRequest())
        (skill,) = card.skills
        assert skill.id == "approval@1.0.0" and "title" in skill.description

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_a_blocking_send_returns_the_completed_task(base_url: str, api_key: str, binding: str) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "echo_agent", streaming=False)
        async with http:
            task = final_task(
                await collect(client.send_message(pb.SendMessageRequest(message=text_message("hi"))))
            )
        assert task.status.state == pb.TASK_STATE_COMPLETED
        (output,) = [a for a in task.artifacts if a.artifact_id == "output"]
        data = MessageToDict(output.parts[0].data)
        assert data["messages"][-1] == {"type": "assistant", "content": "hi"}
        assert output.parts[1].text == "hi"
        assert task.context_id and task.history[0].parts[0].text == "hi"

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_return_immediately_then_poll(base_url: str, api_key: str, binding: str) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "echo", streaming=False, polling=True)
        async with http:
            events = await collect(client.send_message(pb.SendMessageRequest(message=data_message({"n": 1}))))
            task = final_task(events)
            assert task.status.state in {pb.TASK_STATE_SUBMITTED, pb.TASK_STATE_WORKING}
            done = await poll(client, task.id, {pb.TASK_STATE_COMPLETED})
        assert MessageToDict(done.artifacts[-1].parts[0].data) == {"n": 1}

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_stream_to_completion_with_event_ids(base_url: str, api_key: str, binding: str) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "echo_agent")
        async with http:
            events = await collect(client.send_message(pb.SendMessageRequest(message=text_message("yo"))))
        assert events[0].HasField("task")
        assert states(events)[0] == "TASK_STATE_SUBMITTED"
        assert states(events)[-1] == "TASK_STATE_COMPLETED"
        assert "TASK_STATE_WORKING" in states(events)
        artifacts = [e.artifact_update for e in events if e.HasField("artifact_update")]
        assert MessageToDict(artifacts[-1].artifact.parts[0].data)["messages"][-1]["content"] == "yo"
        ids = [event_id(e) for e in events]
        assert all(i is not None for i in ids) and ids == sorted(ids)

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_text_reaches_a_workflow_with_one_string_field_and_a_bad_message_names_the_field(
    base_url: str, api_key: str, binding: str
) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "approval", streaming=False)
        async with http:
            task = final_task(
                await collect(client.send_message(pb.SendMessageRequest(message=text_message("Q4"))))
            )
            assert task.status.state == pb.TASK_STATE_INPUT_REQUIRED
            await client.cancel_task(pb.CancelTaskRequest(id=task.id))
            bad = data_message({"title": "", "points": "not a list"})
            with pytest.raises(InvalidParamsError) as raised:
                await collect(client.send_message(pb.SendMessageRequest(message=bad)))
        assert "message.parts[0].data.points" in str(raised.value)

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_approval_reaches_input_required_and_a_message_on_the_task_resumes_it(
    base_url: str, api_key: str, binding: str
) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "approval", streaming=False)
        async with http:
            request = pb.SendMessageRequest(message=data_message({"title": "Q4 plan", "points": ["ship it"]}))
            task = final_task(await collect(client.send_message(request)))
            assert task.status.state == pb.TASK_STATE_INPUT_REQUIRED
            asked = MessageToDict(task.status.message)
            checkpoint = asked["parts"][-1]["data"]
            assert checkpoint["name"] == "review" and checkpoint["payload"]["title"] == "Q4 plan"
            assert checkpoint["responseSchema"]["required"] == ["approved"]
            answer = data_message(
                {"approved": True, "comment": "lgtm"}, task_id=task.id, context_id=task.context_id
            )
            done = final_task(await collect(client.send_message(pb.SendMessageRequest(message=answer))))
            assert done.status.state == pb.TASK_STATE_COMPLETED, done
            # The answer applied once: the task accepts no further message.
            again = data_message({"approved": False}, task_id=task.id)
            with pytest.raises(UnsupportedOperationError):
                await collect(client.send_message(pb.SendMessageRequest(message=again)))
        files = [a for a in done.artifacts if a.artifact_id != "output"]
        (document,) = files
        assert document.parts[0].media_type.startswith("text/markdown")
        async with httpx.AsyncClient() as anonymous:
            body = (await anonymous.get(document.parts[0].url)).text
        assert body.startswith("# Q4 plan")
        turns = [MessageToDict(m) for m in done.history]
        assert [t["role"] for t in turns] == ["ROLE_USER", "ROLE_AGENT", "ROLE_USER"]

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_cancel_and_cancel_again(base_url: str, api_key: str, binding: str) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "approval", streaming=False)
        async with http:
            request = pb.SendMessageRequest(message=data_message({"title": "drop me"}))
            task = final_task(await collect(client.send_message(request)))
            cancelled = await client.cancel_task(pb.CancelTaskRequest(id=task.id))
            assert cancelled.status.state == pb.TASK_STATE_CANCELED
            with pytest.raises(TaskNotCancelableError):
                await client.cancel_task(pb.CancelTaskRequest(id=task.id))

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_list_tasks_with_a_cursor_and_by_context(base_url: str, api_key: str, binding: str) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "echo_agent", streaming=False)
        async with http:
            first = final_task(
                await collect(client.send_message(pb.SendMessageRequest(message=text_message("a"))))
            )
            follow = text_message("b", context_id=first.context_id)
            second = final_task(await collect(client.send_message(pb.SendMessageRequest(message=follow))))
            assert second.context_id == first.context_id
            # The context's thread carried the conversation: the reply echoes the new message only.
            assert MessageToDict(second.artifacts[-1].parts[0].data)["messages"][-1]["content"] == "b"
            seen: list[str] = []
            token = ""
            for _ in range(5):
                page = await client.list_tasks(pb.ListTasksRequest(page_size=1, page_token=token))
                seen += [t.id for t in page.tasks]
                token = page.next_page_token
                if not token:
                    break
            assert seen[:2] == [second.id, first.id]
            by_context = await client.list_tasks(pb.ListTasksRequest(context_id=first.context_id))
            assert [t.id for t in by_context.tasks] == [second.id, first.id]
            assert not by_context.tasks[0].artifacts  # includeArtifacts defaults to false
            completed = await client.list_tasks(pb.ListTasksRequest(status=pb.TASK_STATE_COMPLETED))
            assert {first.id, second.id} <= {t.id for t in completed.tasks}

    run(session)

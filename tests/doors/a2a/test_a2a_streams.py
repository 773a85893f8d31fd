"""The real A2A client (a2a-sdk 1.x) on both bindings, beyond the basics of test_a2a_client.py: a
stream dropped and resumed with Last-Event-ID (no gap, no repeat), subscribing to a finished task,
messageId as an idempotency key, a skill named in metadata, the A2A-Version check, and keys."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from a2a.client import ClientCallContext
from a2a.types import a2a_pb2 as pb
from a2a.utils.errors import InvalidParamsError, UnsupportedOperationError
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Struct

from tests.doors.a2a.test_a2a_client import (
    BINDINGS,
    client_for,
    collect,
    data_message,
    event_id,
    final_task,
    poll,
    run,
    states,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("binding", BINDINGS)
def test_a_dropped_stream_resumes_after_its_last_event_id_with_no_gap_and_no_repeat(
    base_url: str, api_key: str, binding: str
) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "approval")
        async with http:
            request = pb.SendMessageRequest(message=data_message({"title": "resume", "points": ["x"]}))
            first: list[pb.StreamResponse] = []
            stream = client.send_message(request)
            async for event in stream:
                first.append(event)
                if len(first) == 2:
                    break  # the connection drops here
            await stream.aclose()
            task_id = first[0].task.id
            last = max(i for i in map(event_id, first) if i is not None)
            task = await poll(client, task_id, {pb.TASK_STATE_INPUT_REQUIRED})
            answer = data_message({"approved": True}, task_id=task_id)
            await collect(client.send_message(pb.SendMessageRequest(message=answer)))
            await poll(client, task_id, {pb.TASK_STATE_COMPLETED})
            resumed = await collect(
                client.subscribe(
                    pb.SubscribeToTaskRequest(id=task_id),
                    context=ClientCallContext(service_parameters={"Last-Event-ID": str(last)}),
                )
            )
            everything = await collect(
                client.subscribe(
                    pb.SubscribeToTaskRequest(id=task_id),
                    context=ClientCallContext(service_parameters={"Last-Event-ID": "0"}),
                )
            )
        assert resumed[0].HasField("task") and event_id(resumed[0]) is None  # the snapshot first
        # One event may become two updates (the output artifact, then COMPLETED): both carry its id.
        snapshot = event_id(first[0])  # the first stream's task covers every event up to its id
        assert snapshot is not None
        got = [(event_id(e), e.WhichOneof("payload")) for e in first[1:] + resumed[1:]]
        assert len(got) == len(set(got)), "an update was sent twice"
        every = [(event_id(e), e.WhichOneof("payload")) for e in everything[1:]]
        assert got == [u for u in every if (u[0] or 0) > snapshot], "an update was lost"
        assert states(resumed)[-1] == "TASK_STATE_COMPLETED"
        assert task.status.state == pb.TASK_STATE_INPUT_REQUIRED

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_subscribing_to_a_finished_task_without_an_event_id_is_unsupported(
    base_url: str, api_key: str, binding: str
) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "echo")
        async with http:
            events = await collect(client.send_message(pb.SendMessageRequest(message=data_message({"n": 2}))))
            task = events[0].task
            assert states(events)[-1] == "TASK_STATE_COMPLETED"
            with pytest.raises(UnsupportedOperationError):
                await collect(client.subscribe(pb.SubscribeToTaskRequest(id=task.id)))

    run(session)


@pytest.mark.parametrize("binding", BINDINGS)
def test_message_id_is_an_idempotency_key(base_url: str, api_key: str, binding: str) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, binding, "approval", streaming=False)
        async with http:
            message = data_message({"title": "once"})
            first = final_task(await collect(client.send_message(pb.SendMessageRequest(message=message))))
            again = final_task(await collect(client.send_message(pb.SendMessageRequest(message=message))))
            assert again.id == first.id  # still waiting for input: the same task, not a second one
            other = pb.Message()
            other.CopyFrom(message)
            other.parts[0].data.struct_value.update({"title": "twice"})
            with pytest.raises(InvalidParamsError):
                await collect(client.send_message(pb.SendMessageRequest(message=other)))
            await client.cancel_task(pb.CancelTaskRequest(id=first.id))
            replay = final_task(await collect(client.send_message(pb.SendMessageRequest(message=message))))
            assert replay.id == first.id and replay.status.state == pb.TASK_STATE_CANCELED

    run(session)


def test_a_skill_named_in_metadata_routes_a_message_sent_to_the_runtime(base_url: str, api_key: str) -> None:
    async def session() -> None:
        client, http = await client_for(base_url, api_key, "JSONRPC", None, streaming=False)
        async with http:
            metadata = Struct()
            metadata.update({"skill": "echo"})
            message = data_message({"via": "runtime"})
            task = final_task(
                await collect(client.send_message(pb.SendMessageRequest(message=message, metadata=metadata)))
            )
            assert MessageToDict(task.artifacts[-1].parts[0].data) == {"via": "runtime"}
            with pytest.raises(InvalidParamsError):
                await collect(client.send_message(pb.SendMessageRequest(message=data_message({}))))

    run(session)


@pytest.mark.parametrize("path", ["/a2a", "/a2a/echo/message:send"])
def test_a_client_without_a2a_version_1_gets_version_not_supported(
    base_url: str, api_key: str, path: str
) -> None:
    body: dict[str, Any] = {"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "x"}]}}
    if path == "/a2a":
        body = {"jsonrpc": "2.0", "id": 7, "method": "message/send", "params": body}
    for headers in ({}, {"A2A-Version": "0.3"}):
        response = httpx.post(base_url + path, json=body, headers={"x-api-key": api_key, **headers})
        payload = response.json()
        error = payload["error"]
        if path == "/a2a":
            assert response.status_code == 200 and error["code"] == -32009 and payload["id"] == 7
        else:
            assert response.status_code == 400 and error["status"] == "FAILED_PRECONDITION"
        assert error["details" if path != "/a2a" else "data"][0]["reason"] == "VERSION_NOT_SUPPORTED"
        assert "A2A-Version: 1.0" in error["message"]


def test_a2a_routes_need_a_key_when_the_stack_requires_one(base_url: str) -> None:
    # The local stack serves keyless requests as tenant `default`; a wrong key is refused as in the cloud.
    response = httpx.post(f"{base_url}/a2a", json={}, headers={"x-api-key": "ar_wrong", "A2A-Version": "1.0"})
    assert response.status_code == 401

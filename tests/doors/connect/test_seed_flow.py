"""The seed flow over the Connect door, as a client author runs it: create a run (idempotently), stream
its events across windows resuming from the last event id, approve its checkpoint from the inbox, then
fetch its artifact; once with the generated protobuf client (binary protobuf), once with plain JSON
over HTTP (what the README's curl examples send)."""

from __future__ import annotations

import json
import struct
from typing import Any

import httpx
import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from protobuf.wkt import Value

from agent_runtime.connect.gen import agent_runtime_pb as pb
from tests.doors.connect.conftest import Clients

pytestmark = pytest.mark.e2e

INPUT = {"title": "Launch", "points": ["go"], "reviewer": "ana"}


def stream_until(clients: Clients, run_id: str, after: int, last_type: str) -> list[pb.Event]:
    """Events after `after`, window after window (each resumed from the last id seen), until one of
    `last_type` arrives."""
    events: list[pb.Event] = []
    for _window in range(40):
        request = pb.StreamEventsRequest(run_id=run_id, after_event_id=events[-1].id if events else after)
        events += [message.event for message in clients.runs.stream_events(request, headers=clients.auth)]
        if events and events[-1].type == last_type:
            return events
    raise AssertionError(f"no {last_type} in {[e.type for e in events]}")


def test_seed_flow_with_the_generated_client(clients: Clients) -> None:
    request = pb.CreateRunRequest(
        workflow=pb.WorkflowSelector(name="approval"),
        input=Value.from_python(INPUT),
        idempotency_key="seed-1",
    )
    created = clients.runs.create_run(request, headers=clients.auth)
    assert created.run.status == pb.RunStatus.QUEUED and not created.replayed
    assert created.run.workflow.name == "approval" and created.run.schema_hash.startswith("sha256:")
    # The same key and request: the same run, replayed, nothing new written.
    again = clients.runs.create_run(request, headers=clients.auth)
    assert (again.run.run_id, again.replayed) == (created.run.run_id, True)
    run_id = created.run.run_id

    before = stream_until(clients, run_id, 0, "checkpoint.created")
    assert before[0].type == "run.created"
    inbox = clients.checkpoints.inbox(pb.InboxRequest(assignee="ana"), headers=clients.auth).data
    assert [c.run_id for c in inbox] == [run_id]
    checkpoint = inbox[0]
    assert checkpoint.status == pb.CheckpointStatus.PENDING and checkpoint.type == pb.CheckpointType.APPROVAL
    document = checkpoint.payload.to_python()["document"]
    approved = clients.checkpoints.approve(
        pb.ApproveRequest(run_id=run_id, checkpoint_id=checkpoint.checkpoint_id, comment="ship it"),
        headers=clients.auth,
    ).checkpoint
    assert approved.status == pb.CheckpointStatus.RESOLVED
    assert approved.resolution is not None and approved.resolution.to_python()["comment"] == "ship it"

    # Resume after the last event seen: the rest of the run, with no gap and no repeat.
    after = stream_until(clients, run_id, before[-1].id, "run.succeeded")
    ids = [e.id for e in before + after]
    assert ids == list(range(1, len(ids) + 1))
    types = [e.type for e in after]
    assert types.index("checkpoint.resolved") < types.index("artifact.created")

    run = clients.runs.get_run(pb.GetRunRequest(run_id=run_id), headers=clients.auth).run
    assert run.status == pb.RunStatus.SUCCEEDED
    artifact_id = run.output.to_python()["artifact_id"]  # type: ignore[union-attr,index]
    listed = clients.artifacts.list_artifacts(pb.ListArtifactsRequest(run_id=run_id), headers=clients.auth)
    assert [a.artifact_id for a in listed.data] == [artifact_id]
    download = clients.artifacts.get_artifact(
        pb.GetArtifactRequest(artifact_id=artifact_id), headers=clients.auth
    )
    assert download.artifact.sha256 == listed.data[0].sha256
    assert httpx.get(download.download_url).content == document.encode()

    # A second answer is refused with the engine's conflict as Connect's failed_precondition.
    with pytest.raises(ConnectError) as refused:
        clients.checkpoints.reject(
            pb.RejectRequest(run_id=run_id, checkpoint_id=checkpoint.checkpoint_id), headers=clients.auth
        )
    assert refused.value.code == Code.FAILED_PRECONDITION


def envelopes(body: bytes) -> list[tuple[int, Any]]:
    """A Connect stream's frames: (flags, JSON) for each 5-byte-prefixed message (flag 2: the end)."""
    frames, at = [], 0
    while at < len(body):
        flags, size = struct.unpack(">BI", body[at : at + 5])
        frames.append((flags, json.loads(body[at + 5 : at + 5 + size])))
        at += 5 + size
    return frames


def json_stream(http: httpx.Client, run_id: str, after: int, last_type: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for _window in range(40):
        message = json.dumps({"runId": run_id, "afterEventId": str(events[-1]["id"] if events else after)})
        framed = struct.pack(">BI", 0, len(message)) + message.encode()
        reply = http.post(
            "/agent_runtime.v1.RunService/StreamEvents",
            content=framed,
            headers={"Content-Type": "application/connect+json"},
        )
        assert reply.status_code == 200, reply.text
        frames = envelopes(reply.content)
        assert frames[-1][0] == 2 and "error" not in frames[-1][1], frames[-1]  # the end, no error
        events += [{**body["event"], "id": int(body["event"]["id"])} for flags, body in frames if flags == 0]
        if events and events[-1]["type"] == last_type:
            return events
    raise AssertionError(f"no {last_type} in {[e['type'] for e in events]}")


def test_seed_flow_with_plain_json(http: httpx.Client) -> None:
    def call(method: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return http.post(f"/agent_runtime.v1.{method}", json=body, headers=headers)

    created = call(
        "RunService/CreateRun",
        {"workflow": {"name": "approval"}, "input": INPUT},
        **{"Idempotency-Key": "seed-json"},
    )
    assert created.status_code == 200, created.text
    run = created.json()["run"]
    assert run["status"] == "RUN_STATUS_QUEUED" and run["input"] == INPUT
    replay = call(
        "RunService/CreateRun",
        {"workflow": {"name": "approval"}, "input": INPUT},
        **{"Idempotency-Key": "seed-json"},
    )
    assert replay.json()["replayed"] is True and replay.json()["run"]["runId"] == run["runId"]

    before = json_stream(http, run["runId"], 0, "checkpoint.created")
    inbox = call("CheckpointService/Inbox", {"assignee": "ana"}).json()["data"]
    assert [c["runId"] for c in inbox] == [run["runId"]]
    answered = call(
        "CheckpointService/SubmitInput",
        {"runId": run["runId"], "checkpointId": inbox[0]["checkpointId"], "data": {"approved": True}},
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["checkpoint"]["status"] == "CHECKPOINT_STATUS_RESOLVED"
    after = json_stream(http, run["runId"], before[-1]["id"], "run.succeeded")
    assert [e["id"] for e in before + after] == list(range(1, len(before) + len(after) + 1))

    done = call("RunService/GetRun", {"runId": run["runId"]}).json()["run"]
    assert done["status"] == "RUN_STATUS_SUCCEEDED"
    artifact = call("ArtifactService/GetArtifact", {"artifactId": done["output"]["artifact_id"]})
    assert artifact.status_code == 200 and artifact.json()["artifact"]["runId"] == run["runId"]
    assert httpx.get(artifact.json()["downloadUrl"]).status_code == 200

"""What a newcomer reaches for first (issue 21, item 13), against the local stack over real HTTP:
create-and-stream in one call with typed events, the metadata filter, usage, raw responses, and
downloads that report a missing object as a 404 and never replace a file silently."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from agent_runtime_client import (
    AsyncClient,
    AsyncRunStream,
    Client,
    NotFoundError,
    RawResponse,
    RunStream,
)
from agent_runtime_client.models import (
    ArtifactCreated,
    CheckpointCreated,
    CustomEvent,
    Event,
    RunCreated,
    RunSucceeded,
    StepEvent,
    parse_event,
)
from agent_runtime_local.cloud import Resources
from tests.sdk.conftest import ARTICLE, DOCUMENT

pytestmark = pytest.mark.e2e


def _approved(client: Client) -> str:
    """An approval run taken to its end; its artifact's id."""
    created = client.runs.create_and_stream("approval", ARTICLE)
    for event in created:
        if isinstance(event, CheckpointCreated):
            client.checkpoints.approve(created.run.run_id, event.data["checkpoint_id"])
    done = client.runs.get(created.run.run_id)
    assert done.status == "succeeded"
    artifact_id: str = done.output["artifact_id"]
    return artifact_id


def test_create_and_stream_gives_typed_events(client: Client) -> None:
    stream = client.runs.create_and_stream("counter", {"name": "typed", "count": 2})
    assert isinstance(stream, RunStream) and stream.run.status == "queued"
    events = list(stream)
    assert [e.id for e in events] == list(range(1, len(events) + 1))  # each once, in order
    assert isinstance(events[0], RunCreated) and events[0].data["workflow"]["name"] == "counter"
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [e.data["step"] for e in steps if e.type == "step.started"] == ["first", "second", "third"]
    (custom,) = [e for e in events if isinstance(e, CustomEvent)]
    assert (custom.type, custom.data["message"]) == ("progress.note", "first done")
    last = events[-1]
    assert isinstance(last, RunSucceeded) and last.data["output"] == {"name": "typed", "total": 6}
    # Pages carry the same types; every typed event is still an Event with its dict data.
    paged = list(client.runs.events(stream.run.run_id))
    assert [type(e) for e in paged] == [type(e) for e in events]
    assert all(isinstance(e, Event) and isinstance(e.data, dict) for e in paged)


def test_an_event_of_an_unexpected_shape_is_custom_not_an_error() -> None:
    odd = {
        "id": 3,
        "run_id": "r",
        "type": "step.started",
        "data": {"step": 7},
        "created_at": "2026-12-06T00:00:00Z",
    }
    assert isinstance(parse_event(odd), CustomEvent)
    artifact = {"id": 4, "run_id": "r", "type": "artifact.created", "data": {"name": "a.md", "extra": 1},
                "created_at": "2026-12-06T00:00:00Z"}  # fmt: skip
    parsed = parse_event(artifact)
    assert isinstance(parsed, ArtifactCreated) and parsed.data == {"name": "a.md", "extra": 1}


def test_runs_list_filters_by_metadata(client: Client) -> None:
    batch = uuid.uuid4().hex
    ops = client.runs.create("echo", {"n": 1}, metadata={"batch": batch, "team": "ops"})
    client.runs.create("echo", {"n": 2}, metadata={"batch": batch, "team": "dev"})
    found = client.runs.list(metadata={"batch": batch, "team": "ops"}).to_list()
    assert [run.run_id for run in found] == [ops.run_id]
    assert len(client.runs.list(metadata={"batch": batch}).to_list()) == 2


def test_usage_sums_the_tenants_runs(client: Client) -> None:
    before = client.usage(datetime.now(UTC) - timedelta(minutes=5), workflow="echo")
    run = client.runs.create("echo", {"n": 1})
    client.runs.wait(run.run_id, timeout=30)
    after = client.usage(datetime.now(UTC) - timedelta(minutes=5), workflow="echo")
    assert after.runs == before.runs + 1 and after.workflow == "echo"
    assert after.usage.transitions > before.usage.transitions and after.estimated_cost_usd > 0
    assert client.runs.get(run.run_id).usage is not None


def test_raw_responses_carry_status_and_headers(client: Client) -> None:
    run = client.runs.create("echo", {"n": 1})
    raw = client.with_raw_response.runs.get(run.run_id)
    assert isinstance(raw, RawResponse) and raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.parse().run_id == run.run_id
    created = client.with_raw_response.runs.create("echo", {"n": 2})
    assert created.status_code == 201 and created.parse().workflow.name == "echo"
    with pytest.raises(NotFoundError):
        client.with_raw_response.runs.get("no-such-run")
    with pytest.raises(TypeError, match="sends no request"):
        client.with_raw_response.runs.list()  # a listing pages lazily: nothing to show yet


def test_a_missing_download_is_a_404_not_a_connection_error(
    client: Client, cloud: Resources, tmp_path: Path
) -> None:
    artifact_id = _approved(client)
    artifact = client.artifacts.get(artifact_id)
    s3 = boto3.client("s3", region_name="us-east-1")
    for item in s3.list_objects_v2(Bucket=cloud.bucket, Prefix="artifacts/").get("Contents", []):
        if item["Key"].endswith(f"/{artifact.run_id}/{artifact_id}"):
            s3.delete_object(Bucket=cloud.bucket, Key=item["Key"])
    with pytest.raises(NotFoundError) as missing:
        client.artifacts.download(artifact_id)
    assert missing.value.status == 404
    with pytest.raises(NotFoundError):
        client.artifacts.download(artifact_id, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing partial left behind


def test_a_download_never_replaces_a_file_silently(client: Client, tmp_path: Path) -> None:
    artifact_id = _approved(client)
    mine = tmp_path / "document.md"
    mine.write_text("my own notes")
    with pytest.raises(FileExistsError):
        client.artifacts.download(artifact_id, tmp_path)
    with pytest.raises(FileExistsError):
        client.artifacts.download(artifact_id, mine)
    assert mine.read_text() == "my own notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["document.md"]  # no temporary file left
    assert client.artifacts.download(artifact_id, mine, overwrite=True) == mine
    assert mine.read_text() == DOCUMENT


def test_the_async_client_has_them_too(base_url: str, api_key: str, tmp_path: Path) -> None:
    async def main() -> None:
        async with AsyncClient(base_url, api_key) as client:
            stream = await client.runs.create_and_stream("echo", {"n": 3}, metadata={"via": "async"})
            assert isinstance(stream, AsyncRunStream)
            events = [event async for event in stream]
            assert isinstance(events[0], RunCreated) and isinstance(events[-1], RunSucceeded)
            found = [run async for run in client.runs.list(metadata={"via": "async"})]
            assert stream.run.run_id in {run.run_id for run in found}
            raw = await client.with_raw_response.runs.get(stream.run.run_id)
            assert raw.status_code == 200 and raw.parse().status == "succeeded"
            assert (await client.usage(datetime.now(UTC) - timedelta(minutes=5))).runs >= 1
            (tmp_path / "x").write_text("kept")
            with pytest.raises(NotFoundError):
                await client.artifacts.download("no-such-artifact", tmp_path / "x")
            assert (tmp_path / "x").read_text() == "kept"

    asyncio.run(main())

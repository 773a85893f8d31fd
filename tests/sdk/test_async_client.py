"""AsyncClient against the local stack: the same surface as Client, awaited."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent_runtime_client import AsyncClient, ConflictError, NotFoundError
from agent_runtime_client.models import ApprovedResolution
from tests.sdk.conftest import ARTICLE, DOCUMENT, FAST_RETRY

pytestmark = pytest.mark.e2e


def test_an_approval_run_with_the_async_client(base_url: str, api_key: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with AsyncClient(base_url, api_key, retry=FAST_RETRY) as client:
            run = await client.runs.create("approval", ARTICLE)
            types = []
            async for event in client.runs.stream(run.run_id):
                types.append(event.type)
                if event.type == "checkpoint.created":
                    break
            assert types[0] == "run.created"
            inbox = await client.checkpoints.inbox(assignee="ana").to_list()
            assert [(c.run_id, c.checkpoint_id) for c in inbox] == [(run.run_id, "review-1")]
            # Two answers at once: exactly one applies, the other is a conflict showing it.
            results = await asyncio.gather(
                client.checkpoints.approve(run.run_id, "review-1", comment="first"),
                client.checkpoints.approve(run.run_id, "review-1", comment="second"),
                return_exceptions=True,
            )
            answers = [r for r in results if not isinstance(r, BaseException)]
            conflicts = [r for r in results if isinstance(r, ConflictError)]
            assert len(answers) == 1 and len(conflicts) == 1, results
            assert isinstance(answers[0].resolution, ApprovedResolution)
            assert conflicts[0].checkpoint == answers[0]

            done = await client.runs.wait(run.run_id, timeout=30)
            assert done.status == "succeeded"
            artifact_id = done.output["artifact_id"]
            assert await client.artifacts.download(artifact_id) == DOCUMENT.encode()
            saved = await client.artifacts.download(artifact_id, tmp_path / "doc.md")
            assert saved.read_text() == DOCUMENT
            events = await client.runs.events(run.run_id, page_size=4).to_list()
            assert [e.id for e in events] == list(range(1, len(events) + 1))
            listed = [r.run_id async for r in client.runs.list(page_size=1)]
            assert listed == [run.run_id]
            assert [c.status async for c in client.checkpoints.list(run.run_id)] == ["resolved"]
            assert (await client.workflows.schemas("approval")).checkpoints["review"].type == "approval"
            assert (await client.openapi())["info"]["title"] == "agent-runtime"
            with pytest.raises(NotFoundError):
                await client.runs.get("no-such-run")

    asyncio.run(scenario())

"""The SDK's claim and assign (sync and async) against the local stack over real HTTP."""

from __future__ import annotations

import asyncio

import pytest

from agent_runtime.engine import Engine
from agent_runtime_client import AsyncClient, Client, ConflictError
from agent_runtime_client.models import CheckpointAssigned
from tests.sdk.conftest import ARTICLE, FAST_RETRY

pytestmark = pytest.mark.e2e


def test_claim_reassign_and_unassign_with_both_clients(base_url: str, tenant: str) -> None:
    keys = {name: Engine.default().api_keys.create(tenant, name) for name in ("alice", "bob")}
    with Client(base_url, keys["alice"], retry=FAST_RETRY) as alice:
        run = alice.runs.create("approval", ARTICLE)
        alice.runs.wait(run.run_id, until="waiting_for_input", timeout=15)
        with pytest.raises(ConflictError, match="assigned to ana"):  # the run's reviewer holds it
            alice.checkpoints.claim(run.run_id, "review-1")
        assert alice.checkpoints.assign(run.run_id, "review-1", None).assignee is None
        assert alice.checkpoints.claim(run.run_id, "review-1").assignee == "alice"

        async def bob_tries() -> None:
            async with AsyncClient(base_url, keys["bob"], retry=FAST_RETRY) as bob:
                with pytest.raises(ConflictError) as held:
                    await bob.checkpoints.claim(run.run_id, "review-1")
                assert held.value.checkpoint is not None and held.value.checkpoint.assignee == "alice"
                assert (await bob.checkpoints.assign(run.run_id, "review-1", "bob")).assignee == "bob"

        asyncio.run(bob_tries())
        assert alice.checkpoints.assign(run.run_id, "review-1", None).assignee is None
        changes = [e for e in alice.runs.events(run.run_id) if isinstance(e, CheckpointAssigned)]
        assert [(e.data["previous"], e.data["assignee"], e.data["by"]) for e in changes] == [
            ("ana", None, "alice"),
            (None, "alice", "alice"),
            ("alice", "bob", "bob"),
            ("bob", None, "alice"),
        ]
        alice.checkpoints.approve(run.run_id, "review-1")
        with pytest.raises(ConflictError):
            alice.checkpoints.assign(run.run_id, "review-1", "carol")

"""The Connect door over real HTTP on 127.0.0.1: the local gateway of tests/conftest.py (the
manifest's routes, the authorizer, each route's function in-process), called with the client
`make proto` generates and with plain JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from agent_runtime.connect.gen.agent_runtime_connect import (
    ArtifactServiceClientSync,
    CheckpointServiceClientSync,
    RunServiceClientSync,
)


class Clients:
    """The generated clients of the services the seed flow uses, over one HTTP client."""

    def __init__(self, base: str, key: str, stack: ExitStack) -> None:
        self.auth = {"Authorization": f"Bearer {key}"}
        self.runs = stack.enter_context(RunServiceClientSync(base))
        self.checkpoints = stack.enter_context(CheckpointServiceClientSync(base))
        self.artifacts = stack.enter_context(ArtifactServiceClientSync(base))


@pytest.fixture
def clients(base_url: str, api_key: str) -> Iterator[Clients]:
    with ExitStack() as stack:
        yield Clients(base_url, api_key, stack)

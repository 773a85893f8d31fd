"""Fault scenarios run on the session's local cloud with `agent_runtime_local.faults` watching every
client the runtime creates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent_runtime import aws
from agent_runtime_local import faults
from agent_runtime_local.cloud import Resources


@pytest.fixture(scope="session", autouse=True)
def fault_switch(cloud: Resources) -> Iterator[None]:
    if faults.watch not in aws.client_observers:
        aws.client_observers.append(faults.watch)
        aws.reset_clients()  # clients made before the switch was added don't carry it
    yield

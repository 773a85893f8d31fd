"""Each door's status table covers every run status (engine/lifecycle.py): a status added to
RunStatus fails here until each door says how it shows it."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from agent_runtime.a2a import views as a2a
from agent_runtime.acp import views as acp
from agent_runtime.mcp import views as mcp
from agent_runtime.store.run_items import RunStatus
from agent_runtime.v1 import models as v1

TABLES: dict[str, Mapping[str, str]] = {
    "acp": acp.ACP_STATUS,
    "a2a": a2a.STATE,
    "mcp": mcp.TASK_STATUS,
}


@pytest.mark.parametrize("door", sorted(TABLES))
def test_every_run_status_has_a_door_status(door: str) -> None:
    assert set(TABLES[door]) == set(RunStatus)


def test_a2a_reads_back_every_task_state_it_shows_as_a_run_status() -> None:
    assert set(a2a.STATE.values()) == set(a2a.RUN_STATUS)
    assert set(a2a.RUN_STATUS.values()) <= set(RunStatus)


def test_v1_shows_the_run_statuses_themselves_in_their_order() -> None:
    # v1's RunStatus is a Literal (its OpenAPI enum, tests/doors/v1/test_openapi.py): the same values.
    assert list(v1.RunStatus.__args__) == [status.value for status in RunStatus]  # type: ignore[attr-defined]

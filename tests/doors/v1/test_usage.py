"""GET /v1/usage over real HTTP: sums the tenant's runs in a window, documented responses only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from agent_runtime.engine import usage
from tests.doors.v1.test_openapi import TERMINAL, conforms, wait_for


def test_usage_sums_the_runs_created_in_the_window(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    runs = []
    for n in range(3):
        run_id = http.post("/v1/runs", json={"workflow": {"name": "echo"}, "input": {"n": n}}).json()[
            "run_id"
        ]
        runs.append(wait_for(http, run_id, TERMINAL))
    end = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    window = {"from": start.isoformat(), "to": end}

    summed = conforms(http.get("/v1/usage", params=window), "get_usage").json()
    assert summed["runs"] == 3
    assert summed["truncated"] is False and summed["next_cursor"] is None
    for name in ("transitions", "write_units", "events", "lambda_invocations"):
        assert summed["usage"][name] == sum(r["usage"][name] for r in runs), name
    assert summed["estimated_cost_usd"] == pytest.approx(
        sum(r["estimated_cost_usd"] for r in runs), abs=1e-8
    )  # each rounded to 1e-9
    assert (
        conforms(http.get("/v1/usage", params={**window, "workflow": "approval"}), "get_usage").json()["runs"]
        == 0
    )
    # A window that ended before the runs: none of them.
    assert http.get("/v1/usage", params={"from": "2020-01-01", "to": "2020-02-01"}).json()["runs"] == 0

    # More runs than one response sums: truncated, and the cursor sums the rest.
    monkeypatch.setattr(usage, "MAX_RUNS", 2)
    first = conforms(http.get("/v1/usage", params=window), "get_usage").json()
    assert first["runs"] == 2 and first["truncated"] is True
    rest = conforms(
        http.get("/v1/usage", params={**window, "cursor": first["next_cursor"]}), "get_usage"
    ).json()
    assert rest["runs"] == 1 and rest["truncated"] is False
    assert first["usage"]["events"] + rest["usage"]["events"] == summed["usage"]["events"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-01-01T00:00:00"}, "from"),  # no offset
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_bad_windows_are_422_naming_the_field(http: httpx.Client, params: dict[str, str], field: str) -> None:
    reply = conforms(http.get("/v1/usage", params=params), "get_usage")
    assert reply.status_code == 422
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in reply.json()["errors"]] == [field]


def test_a_foreign_cursor_is_400(http: httpx.Client) -> None:
    reply = conforms(
        http.get("/v1/usage", params={"from": "2026-01-01", "to": "2026-01-02", "cursor": "bm9wZQ"}),
        "get_usage",
    )
    assert reply.status_code == 400

"""Every response fits in one Lambda response (6 MB): pages and windows stop at the budget and go on
with their cursor, and what can't fit anywhere (a huge output, event or payload) is refused."""

from __future__ import annotations

import json
from typing import Any

from agent_runtime.engine.budget import RESPONSE_BUDGET_BYTES
from tests.conftest import Api

MEBIBYTE = 1024 * 1024


def body_size(reply: Any) -> int:
    return len(reply.text.encode())


def test_runs_too_big_to_list_together_come_a_page_each(api: Api) -> None:
    # Given three runs whose input and output are ~1.5 MiB each (3 MiB a run in a listing)
    ids = {api.create("echo", {"blob": "b" * (3 * MEBIBYTE // 2)}).json()["run_id"] for _ in range(3)}
    for run_id in ids:
        assert api.wait(run_id)["status"] == "succeeded"
    # When they are listed 20 at a time
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        reply = api("GET", "/v1/runs", query={"limit": "20", **({"cursor": cursor} if cursor else {})})
        # Then each page fits the budget (one run over it would still come alone) ...
        assert reply.status == 200
        assert body_size(reply) <= RESPONSE_BUDGET_BYTES + 4 * MEBIBYTE
        page = reply.json()
        seen += [r["run_id"] for r in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    # ... and together the pages hold every run once, newest first
    assert sorted(seen) == sorted(ids) and len(seen) == 3
    assert pages >= 2


def test_big_events_come_in_pages_and_windows_that_fit(api: Api) -> None:
    # Given a run that emitted six events of 0.9 MiB
    run_id = api.create("chatty", {"events": 6}).json()["run_id"]
    assert api.wait(run_id, timeout=60)["status"] == "succeeded"
    # When its events are read as JSON pages
    ids: list[int] = []
    after = 0
    while True:
        reply = api("GET", f"/v1/runs/{run_id}/events", query={"after": str(after), "limit": "500"})
        assert body_size(reply) <= RESPONSE_BUDGET_BYTES + MEBIBYTE
        page = reply.json()
        ids += [e["id"] for e in page["data"]]
        if page["next_cursor"] is None:
            break
        after = int(page["next_cursor"])
    # Then every event arrives once, in order, over several pages
    assert ids == list(range(1, len(ids) + 1))
    assert sum(1 for e in api.events(run_id) if e["type"] == "progress.chunk") == 6
    # And as SSE, a full window closes early and the next one starts after its last id
    sse_ids: list[int] = []
    last = "0"
    for _ in range(20):
        reply = api(
            "GET", f"/v1/runs/{run_id}/events", headers={"Accept": "text/event-stream", "Last-Event-ID": last}
        )
        assert body_size(reply) <= RESPONSE_BUDGET_BYTES + MEBIBYTE
        frames = [f for f in reply.text.split("\n\n") if "\nid: " in f"\n{f}"]
        sse_ids += [int(line[4:]) for f in frames for line in f.split("\n") if line.startswith("id: ")]
        if "event: end" in reply.text:
            break
        last = str(sse_ids[-1])
    assert sse_ids == list(range(1, sse_ids[-1] + 1))
    assert sse_ids == ids


def test_an_output_too_big_for_a_response_fails_the_run_saying_why(api: Api) -> None:
    run = api.wait(api.create("too_big", {}).json()["run_id"])
    assert run["status"] == "failed"
    assert run["error"]["type"] == "OutputTooLarge"
    assert "artifacts" in run["error"]["message"]


def test_an_event_too_big_for_a_response_fails_the_step_saying_why(api: Api) -> None:
    run = api.wait(api.create("too_big", {"what": "event"}).json()["run_id"])
    assert run["status"] == "failed"
    assert run["error"]["type"] == "ValueError"
    assert "ctx.put_artifact" in run["error"]["message"]


def test_a_runs_checkpoints_page_by_size(api: Api) -> None:
    # Given a run with a checkpoint, its list is a page with no more to come
    run_id = api.create("notes", {"topic": "t"}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    page = api("GET", f"/v1/runs/{run_id}/checkpoints").json()
    assert [c["checkpoint_id"] for c in page["data"]] == ["ask-1"]
    assert page["next_cursor"] is None
    # and a cursor it did not issue is a 400, not an empty page
    assert api("GET", f"/v1/runs/{run_id}/checkpoints", query={"cursor": "nope"}).status == 400
    assert json.loads(api("GET", f"/v1/runs/{run_id}/checkpoints", query={"cursor": "ask-1"}).text) == {
        "data": [],
        "next_cursor": None,
    }

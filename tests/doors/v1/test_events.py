"""A run's events: JSON pages and windowed SSE, resumable without gaps or repeats."""

from __future__ import annotations

import re
import time

from tests.conftest import Api


def parse_sse(body: str) -> list[dict[str, str]]:
    frames = []
    for block in body.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            name, value = line.split(":", 1)
            fields[name] = value.removeprefix(" ")
        if fields:
            frames.append(fields)
    return frames


def test_json_pages_follow_the_cursor_to_the_end(api: Api) -> None:
    run_id = api.create("counter", {"name": "p", "count": 1}).json()["run_id"]
    api.wait(run_id)
    ids: list[int] = []
    after = "0"
    while True:
        page = api("GET", f"/v1/runs/{run_id}/events", query={"after": after, "limit": "3"}).json()
        ids.extend(e["id"] for e in page["data"])
        if page["next_cursor"] is None:
            break
        after = page["next_cursor"]
    assert ids == list(range(1, len(ids) + 1))
    assert len(ids) >= 10


def test_sse_window_sends_everything_then_ends_when_terminal(api: Api) -> None:
    run_id = api.create("echo", {"x": 1}).json()["run_id"]
    api.wait(run_id)
    reply = api("GET", f"/v1/runs/{run_id}/events", headers={"Accept": "text/event-stream"})
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/event-stream"
    frames = parse_sse(reply.text)
    assert frames[0]["retry"] == "200"
    events = [f for f in frames if "id" in f]
    assert [int(f["id"]) for f in events] == [1, 2, 3, 4, 5]
    assert events[-1]["event"] == "run.succeeded"
    assert frames[-1]["event"] == "end"


def test_sse_resumes_after_last_event_id_without_repeats(api: Api) -> None:
    run_id = api.create("echo", {"x": 1}).json()["run_id"]
    api.wait(run_id)
    reply = api(
        "GET", f"/v1/runs/{run_id}/events", headers={"Accept": "text/event-stream", "Last-Event-ID": "3"}
    )
    ids = [int(f["id"]) for f in parse_sse(reply.text) if "id" in f]
    assert ids == [4, 5]
    assert api("GET", f"/v1/runs/{run_id}/events", query={"after": "4"}).json()["data"][0]["id"] == 5


def test_sse_window_closes_with_a_retry_hint_while_the_run_goes_on(api: Api) -> None:
    run_id = api.create("slow", {"steps": 40, "seconds": 0.1}).json()["run_id"]
    api.wait(run_id, {"running"})
    reply = api("GET", f"/v1/runs/{run_id}/events", headers={"Accept": "text/event-stream"})
    frames = parse_sse(reply.text)
    assert not any(f.get("event") == "end" for f in frames)
    assert re.search(r"^: window closed", reply.text, re.M)
    api("POST", f"/v1/runs/{run_id}/cancel")


def test_bad_cursors_are_400(api: Api) -> None:
    run_id = api.create("echo", {}).json()["run_id"]
    assert api("GET", f"/v1/runs/{run_id}/events", query={"after": "-1"}).status == 400
    assert (
        api(
            "GET", f"/v1/runs/{run_id}/events", headers={"Accept": "text/event-stream", "Last-Event-ID": "x"}
        ).status
        == 400
    )
    assert api("GET", f"/v1/runs/{run_id}/events", query={"limit": "0"}).status == 400


def test_unacceptable_media_type_is_406(api: Api) -> None:
    run_id = api.create("echo", {}).json()["run_id"]
    assert api("GET", f"/v1/runs/{run_id}/events", headers={"Accept": "text/html"}).status == 406


def test_cancel_never_loses_to_a_run_emitting_a_thousand_events_a_second(api: Api) -> None:
    # Given runs that emit about 1,000 events a second (each would go on for 20 s)
    statuses = []
    for _ in range(20):
        run_id = api.create("busy", {"seconds": 20, "per_second": 1000}).json()["run_id"]
        deadline = time.monotonic() + 20
        while api("GET", f"/v1/runs/{run_id}/events", query={"limit": "500"}).json()["data"][-1]["id"] < 50:
            assert time.monotonic() < deadline, "the run emitted nothing"
            time.sleep(0.05)
        # When the run is cancelled while it emits
        reply = api("POST", f"/v1/runs/{run_id}/cancel")
        statuses.append(reply.status)
        # Then it answers 200 (or 409, had the run ended), and the run is cancelled: its worker stops
        # within one batch, and its event ids have no gap
        assert api.wait(run_id, timeout=10)["status"] == "cancelled"
    assert all(status in {200, 409} for status in statuses), statuses
    assert statuses.count(200) >= 19
    ids: list[int] = []
    after = "0"
    while after is not None:
        page = api("GET", f"/v1/runs/{run_id}/events", query={"after": after, "limit": "500"}).json()
        ids += [e["id"] for e in page["data"]]
        after = page["next_cursor"]
    assert ids == list(range(1, len(ids) + 1))

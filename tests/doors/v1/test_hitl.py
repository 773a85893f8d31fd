"""The approval flow over real HTTP, watched through SSE: checkpoint.created → inbox → approve →
succeeded → the artifact's download URL returns the approved document."""

from __future__ import annotations

import httpx
from httpx_sse import connect_sse


def test_approval_flow_watched_over_sse(http: httpx.Client) -> None:
    run_id = http.post(
        "/v1/runs",
        json={
            "workflow": {"name": "approval"},
            "input": {"title": "Launch", "points": ["go"], "reviewer": "ana"},
        },
    ).json()["run_id"]
    seen: list[str] = []
    last_id: str | None = None
    approved = False
    for _ in range(30):  # reconnecting windows, as an EventSource client does
        headers = {"Last-Event-ID": last_id} if last_id else {}
        with connect_sse(http, "GET", f"/v1/runs/{run_id}/events", headers=headers) as source:
            for sse in source.iter_sse():
                if sse.event == "end":
                    break
                seen.append(sse.event)
                last_id = sse.id
        if seen and seen[-1] == "checkpoint.created" and not approved:
            inbox = http.get("/v1/checkpoints", params={"status": "pending", "assignee": "ana"}).json()[
                "data"
            ]
            assert [c["run_id"] for c in inbox] == [run_id]
            document = inbox[0]["payload"]["document"]
            approve = http.post(f"/v1/runs/{run_id}/checkpoints/{inbox[0]['checkpoint_id']}/approve", json={})
            assert approve.status_code == 200
            approved = True
        if seen and seen[-1] in {"run.succeeded", "run.failed"}:
            break
    assert approved, seen
    assert seen[-1] == "run.succeeded"
    assert (
        seen.index("checkpoint.created") < seen.index("checkpoint.resolved") < seen.index("artifact.created")
    )
    run = http.get(f"/v1/runs/{run_id}").json()
    artifact = http.get(f"/v1/artifacts/{run['output']['artifact_id']}").json()
    assert httpx.get(artifact["download_url"]).content == document.encode()

"""Human checkpoints against moto executing the real state machine: approve, reject, input, deadlines,
cancel while waiting, and races that must have exactly one winner."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest

from agent_runtime.config import settings
from agent_runtime.engine import Engine
from agent_runtime.store.checkpoint_items import CheckpointItems
from agent_runtime.store.event_items import NewEvent
from agent_runtime_local.cloud import REGION, Resources
from tests.conftest import Api

DOC_INPUT = {"title": "Q4 plan", "points": ["ship it", "measure it"], "reviewer": "ana"}


def start_approval(api: Api, **config: Any) -> str:
    run_id: str = api.create("approval", DOC_INPUT, config=config).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    return run_id


def types(api: Api, run_id: str) -> list[str]:
    return [e["type"] for e in api.events(run_id)]


def test_approve_resumes_the_run_and_publishes_the_draft_as_an_artifact(api: Api) -> None:
    # Given an approval run waiting for its review
    run_id = start_approval(api)
    checkpoints = api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"]
    assert [(c["checkpoint_id"], c["status"], c["type"], c["assignee"]) for c in checkpoints] == [
        ("review-1", "pending", "approval", "ana")
    ]
    draft = checkpoints[0]["payload"]["document"]
    assert "task_token" not in str(checkpoints)
    # When a human approves it
    reply = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={"comment": "lgtm"})
    assert reply.status == 200
    resolved = reply.json()
    assert resolved["status"] == "resolved"
    assert resolved["resolution"]["decision"] == "approved"
    assert resolved["resolution"]["by"] == f"key:{api.tenant}"
    # Then the run succeeds and the artifact's download URL returns exactly the approved draft
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert run["output"]["comment"] == "lgtm"
    artifact = api("GET", f"/v1/artifacts/{run['output']['artifact_id']}").json()
    assert artifact["name"] == "document.md"
    assert artifact["size"] == len(draft.encode())
    download = httpx.get(artifact["download_url"])
    assert download.status_code == 200
    assert download.content == draft.encode()
    # The URL is valid for the default 15 minutes, and its expires_at says so
    expires = datetime.fromisoformat(artifact["expires_at"].replace("Z", "+00:00"))
    assert abs((expires - datetime.now(UTC)).total_seconds() - 15 * 60) < 60
    assert "X-Amz-Expires=900" in artifact["download_url"]
    listed = api("GET", f"/v1/runs/{run_id}/artifacts").json()["data"]
    assert [a["artifact_id"] for a in listed] == [artifact["artifact_id"]]
    events = types(api, run_id)
    assert (
        events.index("checkpoint.created")
        < events.index("checkpoint.resolved")
        < events.index("artifact.created")
    )
    assert events[-1] == "run.succeeded"


def test_reject_ends_the_run_failed_with_the_reason(api: Api) -> None:
    run_id = start_approval(api)
    reply = api(
        "POST", f"/v1/runs/{run_id}/checkpoints/review-1/reject", body={"reason": "numbers are wrong"}
    )
    assert reply.status == 200
    assert reply.json()["resolution"]["decision"] == "rejected"
    run = api.wait(run_id)
    assert run["status"] == "failed"
    assert run["error"] == {"type": "Rejected", "message": "numbers are wrong"}
    assert api("GET", f"/v1/runs/{run_id}/artifacts").json()["data"] == []


def test_input_is_validated_against_the_checkpoint_schema_then_returned(api: Api) -> None:
    run_id = api.create("intake", {"purpose": "loan"}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    path = f"/v1/runs/{run_id}/checkpoints/collect-1/input"
    bad = api("POST", path, body={"data": {"name": "Ana", "email": "not-an-email", "amount": -1}})
    assert bad.status == 422
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["data.amount", "data.email"]
    assert api("GET", f"/v1/runs/{run_id}/checkpoints/collect-1").json()["status"] == "pending"
    applicant = {"name": "Ana", "email": "ana@example.com", "amount": 1200.5}
    assert api("POST", path, body={"data": applicant}).status == 200
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert run["output"] == {"applicant": applicant, "expired": False}


def test_the_wrong_kind_of_answer_is_a_conflict(api: Api) -> None:
    # An approval checkpoint takes the decision its response_schema describes on /input (decision 31):
    # other data is a 422 naming the field, not a conflict.
    run_id = start_approval(api)
    reply = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/input", body={"data": {}})
    assert reply.status == 422
    assert [e["field"] for e in reply.json()["errors"]] == ["data.approved"]
    intake = api.create("intake", {"purpose": "x"}).json()["run_id"]
    api.wait(intake, {"waiting_for_input"})
    assert api("POST", f"/v1/runs/{intake}/checkpoints/collect-1/approve", body={}).status == 409


def test_a_deadline_with_on_timeout_fail_ends_the_run_timed_out(api: Api) -> None:
    run_id = start_approval(api, review_timeout_seconds=1)
    run = api.wait(run_id, timeout=20)
    assert run["status"] == "timed_out"
    assert run["error"]["type"] == "CheckpointExpired"
    assert types(api, run_id)[-2:] == ["checkpoint.expired", "run.timed_out"]
    late = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
    assert late.status == 409
    assert late.json()["status_now"] == "expired"


def test_a_deadline_with_on_timeout_continue_resumes_with_the_default(api: Api) -> None:
    run_id = api.create("intake", {"purpose": "x", "timeout_seconds": 1}).json()["run_id"]
    run = api.wait(run_id, timeout=20)
    assert run["status"] == "succeeded"
    assert run["output"] == {"applicant": None, "expired": True}
    assert "checkpoint.expired" in types(api, run_id)


def test_cancel_while_waiting_then_a_late_approval_is_a_conflict(api: Api, cloud: Resources) -> None:
    run_id = start_approval(api)
    cancelled = api("POST", f"/v1/runs/{run_id}/cancel")
    assert cancelled.status == 200
    assert cancelled.json()["status"] == "cancelled"
    assert api("GET", f"/v1/runs/{run_id}/checkpoints/review-1").json()["status"] == "cancelled"
    late = api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
    assert late.status == 409
    assert late.json()["status_now"] == "cancelled"
    # The parked execution was released (the wait failed with RunCancelled) and nothing ran after it
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = cloud.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + run_id
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sfn.describe_execution(executionArn=arn)["status"] != "RUNNING"
    assert api("GET", f"/v1/runs/{run_id}").json()["status"] == "cancelled"
    assert types(api, run_id)[-2:] == ["checkpoint.cancelled", "run.cancelled"]


def test_twenty_concurrent_approvals_have_exactly_one_winner(api: Api) -> None:
    run_id = start_approval(api)
    barrier = threading.Barrier(20)

    def approve(i: int) -> int:
        barrier.wait()
        return api(
            "POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={"comment": f"#{i}"}
        ).status

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(approve, range(20)))
    assert sorted(statuses) == [200] + [409] * 19
    assert api.wait(run_id)["status"] == "succeeded"
    events = api.events(run_id)
    assert [e["type"] for e in events].count("checkpoint.resolved") == 1
    started = [e["data"]["step"] for e in events if e["type"] == "step.started"]
    assert started == ["draft", "review", "review", "publish"]  # one resume, one publish


def test_approve_racing_cancel_has_exactly_one_winner(api: Api) -> None:
    # Given runs waiting on their approval, each answered and cancelled at the same moment
    for _ in range(10):
        run_id = start_approval(api)
        barrier = threading.Barrier(2)

        def approve(run: str = run_id, gate: threading.Barrier = barrier) -> int:
            gate.wait()
            return api("POST", f"/v1/runs/{run}/checkpoints/review-1/approve", body={"comment": "go"}).status

        def cancel(run: str = run_id, gate: threading.Barrier = barrier) -> int:
            gate.wait()
            return api("POST", f"/v1/runs/{run}/cancel").status

        with ThreadPoolExecutor(2) as pool:
            approved, cancelled = pool.submit(approve), pool.submit(cancel)
            statuses = (approved.result(), cancelled.result())
        # Then exactly one of them wins, and the run does what the winner was told
        assert sorted(statuses) == [200, 409], statuses
        final = api.wait(run_id)["status"]
        checkpoint = api("GET", f"/v1/runs/{run_id}/checkpoints/review-1").json()["status"]
        if statuses[0] == 200:
            assert (final, checkpoint) == ("succeeded", "resolved")
        else:
            assert (final, checkpoint) == ("cancelled", "cancelled")


def test_inbox_lists_pending_checkpoints_across_runs_oldest_first(api: Api, other_api: Api) -> None:
    first = start_approval(api)
    second = api.create("approval", {**DOC_INPUT, "reviewer": "bo"}).json()["run_id"]
    api.wait(second, {"waiting_for_input"})
    start_approval(other_api)
    pending = api("GET", "/v1/checkpoints", query={"status": "pending"}).json()["data"]
    assert [c["run_id"] for c in pending] == [first, second]
    for_bo = api("GET", "/v1/checkpoints", query={"status": "pending", "assignee": "bo"}).json()["data"]
    assert [c["run_id"] for c in for_bo] == [second]
    api("POST", f"/v1/runs/{first}/checkpoints/review-1/approve", body={})
    assert [c["run_id"] for c in api("GET", "/v1/checkpoints").json()["data"]] == [second]
    resolved = api("GET", "/v1/checkpoints", query={"status": "resolved"}).json()["data"]
    assert [c["run_id"] for c in resolved] == [first]
    assert api("GET", "/v1/checkpoints", query={"status": "open"}).status == 400


def test_checkpoints_and_artifacts_of_another_tenant_are_invisible(api: Api, other_api: Api) -> None:
    run_id = start_approval(api)
    assert other_api("GET", f"/v1/runs/{run_id}/checkpoints").status == 404
    assert other_api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={}).status == 404
    api("POST", f"/v1/runs/{run_id}/checkpoints/review-1/approve", body={})
    artifact_id = api.wait(run_id)["output"]["artifact_id"]
    assert other_api("GET", f"/v1/artifacts/{artifact_id}").status == 404
    assert other_api("GET", f"/v1/runs/{run_id}/artifacts").status == 404


@pytest.mark.parametrize("size", [1024 * 1024])
def test_a_megabyte_input_and_output_round_trip_through_s3(api: Api, cloud: Resources, size: int) -> None:
    blob = {"text": "é" * (size // 2), "numbers": list(range(1000))}
    run_id = api.create("echo", blob).json()["run_id"]
    run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert run["input"] == blob
    assert run["output"] == blob
    s3 = boto3.client("s3", region_name=REGION)
    keys = {
        o["Key"]
        for o in s3.list_objects_v2(Bucket=cloud.bucket, Prefix=f"payloads/{api.tenant}/{run_id}/")[
            "Contents"
        ]
    }
    assert {
        f"payloads/{api.tenant}/{run_id}/input.json",
        f"payloads/{api.tenant}/{run_id}/output.json",
    } <= keys


def test_a_megabyte_answer_is_kept_through_s3_and_reaches_the_workflow(api: Api, cloud: Resources) -> None:
    # Given a run waiting on an input checkpoint that takes any object
    run_id = api.create("notes", {"topic": "Q4"}).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    checkpoint = api("GET", f"/v1/runs/{run_id}/checkpoints/ask-1").json()
    assert checkpoint["response_schema"]["type"] == "object"
    # When a human answers with a megabyte of notes (more than a DynamoDB item holds)
    notes = {"text": "n" * (1024 * 1024)}
    answered = api("POST", f"/v1/runs/{run_id}/checkpoints/ask-1/input", body={"data": notes})
    # Then the answer is accepted, kept whole, and the workflow receives it
    assert answered.status == 200
    assert api("GET", f"/v1/runs/{run_id}/checkpoints/ask-1").json()["resolution"]["data"] == notes
    assert api.wait(run_id)["output"] == {"notes": notes}


def test_two_artifacts_of_one_name_in_one_step_are_two_artifacts(api: Api) -> None:
    # Given a step that stores "draft.txt" twice
    run = api.wait(api.create("drafts", {}).json()["run_id"])
    first, second = run["output"]["first"], run["output"]["second"]
    # Then each is its own artifact: its metadata and its bytes are those of its own body
    assert first != second
    for artifact_id, body in ((first, b"first draft"), (second, b"the second, longer draft")):
        artifact = api("GET", f"/v1/artifacts/{artifact_id}").json()
        assert (artifact["size"], artifact["sha256"]) == (len(body), hashlib.sha256(body).hexdigest())
        assert httpx.get(artifact["download_url"]).content == body
    listed = api("GET", f"/v1/runs/{run['run_id']}/artifacts").json()["data"]
    assert sorted(a["artifact_id"] for a in listed) == sorted([first, second])


def test_a_checkpoint_raised_while_cancel_looks_is_cancelled_too(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run that raises its checkpoint just as cancel reads the run's checkpoints: the first read
    # sees none, and the run's version moves right after (the worker's commit that raised it)
    run_id = api.create("approval", DOC_INPUT).json()["run_id"]
    api.wait(run_id, {"waiting_for_input"})
    real_list = CheckpointItems.list_for_run
    reads = []

    def stale_first_read(items: CheckpointItems, run: str) -> list[Any]:
        reads.append(run)
        if len(reads) == 1:
            Engine.default().store.runs.commit(run, events=[NewEvent("worker.moved", {})])
            return []
        return real_list(items, run)

    monkeypatch.setattr(CheckpointItems, "list_for_run", stale_first_read)
    # When the run is cancelled
    assert api("POST", f"/v1/runs/{run_id}/cancel").status == 200
    # Then cancel looked again, and the checkpoint is cancelled with the run, not left pending
    monkeypatch.undo()
    assert len(reads) == 2
    assert api("GET", f"/v1/runs/{run_id}/checkpoints/review-1").json()["status"] == "cancelled"
    assert api("GET", "/v1/checkpoints", query={"status": "pending"}).json()["data"] == []


def test_artifacts_past_the_buckets_retention_are_gone_from_the_api(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run's artifact, and a stack whose bucket keeps artifacts 0 days (ARTIFACT_RETENTION_DAYS)
    run = api.wait(api.create("drafts", {}).json()["run_id"])
    artifact_id = run["output"]["first"]
    assert api("GET", f"/v1/artifacts/{artifact_id}").status == 200
    monkeypatch.setenv("ARTIFACT_RETENTION_DAYS", "0")
    settings.cache_clear()
    try:
        # Then the API no longer offers it (its bytes may be gone): 404, and not listed
        assert api("GET", f"/v1/artifacts/{artifact_id}").status == 404
        assert api("GET", f"/v1/runs/{run['run_id']}/artifacts").json()["data"] == []
    finally:
        monkeypatch.undo()
        settings.cache_clear()


def test_every_answer_records_who_when_and_from_where(api: Api) -> None:
    from_console = start_approval(api)
    api(
        "POST",
        f"/v1/runs/{from_console}/checkpoints/review-1/approve",
        body={"comment": "ok"},
        headers={"X-Answer-Channel": "console"},
    )
    from_api = start_approval(api)
    api("POST", f"/v1/runs/{from_api}/checkpoints/review-1/reject", body={"reason": "no"})
    for run_id, via, decision in ((from_console, "console", "approved"), (from_api, "api", "rejected")):
        resolution = api("GET", f"/v1/runs/{run_id}/checkpoints/review-1").json()["resolution"]
        assert (resolution["via"], resolution["decision"], resolution["by"]) == (
            via,
            decision,
            f"key:{api.tenant}",
        )
        assert resolution["at"]

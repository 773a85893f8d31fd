"""The synchronous SDK against the local stack over real HTTP: the approval flow end to end, answers
built from a checkpoint's response_schema, auto-paging, typed errors, the catalog and the contract,
and webhooks verified as a receiver would."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator

from agent_runtime_client import (
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
    WaitTimeout,
    WebhookVerificationError,
)
from agent_runtime_client.models import (
    ApprovedResolution,
    Checkpoint,
    RejectedResolution,
    SubmittedResolution,
    WebhookEvent,
)
from tests.sdk.conftest import ARTICLE, DOCUMENT, FAST_RETRY
from tests.sdk.faults import Faults, Plan
from tests.webhook_receiver import receiver

pytestmark = pytest.mark.e2e


def test_an_approval_run_from_creation_to_the_downloaded_artifact(client: Client, tmp_path: Path) -> None:
    run = client.runs.create("approval", ARTICLE, metadata={"source": "sdk"})
    assert (run.status, run.workflow.name, run.metadata) == ("queued", "approval", {"source": "sdk"})

    seen = []
    for event in client.runs.stream(run.run_id):
        seen.append(event.type)
        if event.type == "checkpoint.created":
            break  # leaving the stream early closes it
    assert seen[0] == "run.created" and seen[-1] == "checkpoint.created"

    (checkpoint,) = client.checkpoints.inbox(assignee="ana")
    assert isinstance(checkpoint, Checkpoint)
    assert (checkpoint.run_id, checkpoint.checkpoint_id, checkpoint.type) == (
        run.run_id,
        "review-1",
        "approval",
    )
    assert checkpoint.payload["document"] == DOCUMENT
    assert client.runs.get(run.run_id).status == "waiting_for_input"

    approved = client.checkpoints.approve(run.run_id, "review-1", comment="Ship it.")
    assert isinstance(approved.resolution, ApprovedResolution)
    assert approved.resolution.comment == "Ship it."

    done = client.runs.wait(run.run_id, timeout=30)
    assert done.status == "succeeded" and done.terminal
    artifact_id = done.output["artifact_id"]
    (artifact,) = client.artifacts.list(run.run_id)
    assert (artifact.artifact_id, artifact.name) == (artifact_id, "document.md")
    assert client.artifacts.download(artifact_id) == DOCUMENT.encode()
    saved = client.artifacts.download(artifact_id, tmp_path)
    assert saved == tmp_path / "document.md" and saved.read_text() == DOCUMENT
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == artifact.sha256

    events = list(client.runs.events(run.run_id, page_size=3))
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert events[-1].type == "run.succeeded"
    assert [e.type for e in client.runs.stream(run.run_id, after=events[-2].id)] == ["run.succeeded"]
    assert [c.status for c in client.checkpoints.list(run.run_id)] == ["resolved"]
    assert list(client.checkpoints.inbox(assignee="ana")) == []


def _form_answer(checkpoint: Checkpoint, answer: dict[str, object]) -> dict[str, object]:
    """What a UI building its form from the checkpoint's response_schema sends: valid by that schema."""
    Draft202012Validator(checkpoint.response_schema).validate(answer)
    return answer


def test_any_checkpoint_takes_data_matching_its_response_schema(client: Client) -> None:
    rejected = client.runs.create("approval", {"title": "No", "points": []})
    checkpoint = _parked(client, rejected.run_id)
    assert checkpoint.response_schema["required"] == ["approved"]
    # Not the decision the schema describes: a 422 naming the field, before any state changes.
    with pytest.raises(UnprocessableEntityError) as invalid:
        client.checkpoints.submit(rejected.run_id, "review-1", {"approve": True})
    assert {e.field for e in invalid.value.errors} == {"data.approved", "data.approve"}
    answered = client.checkpoints.submit(
        rejected.run_id, "review-1", _form_answer(checkpoint, {"approved": False, "reason": "Too thin."})
    )
    assert isinstance(answered.resolution, RejectedResolution)
    assert answered.resolution.reason == "Too thin."
    failed = client.runs.wait(rejected.run_id, timeout=30)
    assert failed.status == "failed" and failed.error is not None
    assert (failed.error.type, failed.error.message) == ("Rejected", "Too thin.")

    approved = client.runs.create("approval", ARTICLE)
    checkpoint = _parked(client, approved.run_id)
    done = client.checkpoints.submit(
        approved.run_id, "review-1", _form_answer(checkpoint, {"approved": True, "comment": "From a form."})
    )
    assert isinstance(done.resolution, ApprovedResolution)
    assert client.runs.wait(approved.run_id, timeout=30).output["comment"] == "From a form."

    intake = client.runs.create("intake", {"purpose": "loan"})
    checkpoint = _parked(client, intake.run_id)
    applicant = {"name": "Ana", "email": "ana@example.com", "amount": 1200.5}
    submitted = client.checkpoints.submit(intake.run_id, "collect-1", _form_answer(checkpoint, applicant))
    assert isinstance(submitted.resolution, SubmittedResolution)
    assert submitted.resolution.data == applicant
    assert client.runs.wait(intake.run_id, timeout=30).output == {"applicant": applicant, "expired": False}


def _parked(client: Client, run_id: str) -> Checkpoint:
    run = client.runs.wait(run_id, until="waiting_for_input", timeout=30)
    assert run.status == "waiting_for_input", run
    (checkpoint,) = client.checkpoints.list(run_id)
    return checkpoint


def test_listings_page_through_every_item(client: Client) -> None:
    created = [client.runs.create("echo", {"n": n}).run_id for n in range(3)]
    pager = client.runs.list(page_size=1)
    assert [len(page) for page in pager.pages()][:3] == [1, 1, 1]  # one request per page
    assert [r.run_id for r in pager] == created[::-1]  # newest first
    for run_id in created:
        client.runs.wait(run_id, timeout=30)
    echoes = client.runs.list(status="succeeded", workflow="echo", page_size=2).to_list()
    assert sorted(r.run_id for r in echoes) == sorted(created)
    assert client.runs.list(status="running").to_list() == []


def test_errors_are_typed_and_carry_the_problem(client: Client, base_url: str) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.runs.get("no-such-run")
    assert missing.value.status == 404 and missing.value.problem.instance == "/v1/runs/no-such-run"
    with pytest.raises(UnprocessableEntityError) as invalid:
        client.runs.create("counter", {"name": "x", "count": 0})
    assert [e.field for e in invalid.value.errors] == ["input.count"]
    with pytest.raises(BadRequestError):
        client.runs.list(status="bogus").to_list()
    with pytest.raises(NotFoundError):
        client.runs.create("no-such-workflow")
    stale = pytest.raises(ConflictError)
    with stale as conflict:
        client.runs.create("echo", {}, schema_hash="stale")
    assert conflict.value.problem.schema_hash

    run = client.runs.create("approval", ARTICLE)
    _parked(client, run.run_id)
    first = client.checkpoints.reject(run.run_id, "review-1", reason="No.")
    with pytest.raises(ConflictError) as again:
        client.checkpoints.approve(run.run_id, "review-1")
    assert again.value.status_now == "resolved"
    assert again.value.checkpoint == first  # the checkpoint as it is, typed
    ended = client.runs.wait(run.run_id, timeout=30)
    with pytest.raises(ConflictError) as terminal:
        client.runs.cancel(run.run_id)
    assert terminal.value.status_now == ended.status == "failed"

    with Client(base_url, "ar_not-a-key", retry=FAST_RETRY) as stranger, pytest.raises(AuthenticationError):
        stranger.workflows.list()


def test_the_catalog_and_the_served_contract(client: Client) -> None:
    names = [w.name for w in client.workflows.list()]
    assert {"approval", "echo", "intake"} <= set(names)
    assert [v.version for v in client.workflows.get("counter").versions] == ["1.1.0", "1.0.0"]
    schemas = client.workflows.schemas("approval")
    assert schemas.checkpoints["review"].type == "approval"
    assert schemas.checkpoints["review"].response["required"] == ["approved"]
    assert client.workflows.schemas("counter", version="1.0.0").version == "1.0.0"
    document = client.openapi()
    assert document["openapi"] == "3.1.0" and "/v1/runs" in document["paths"]
    assert "/runs/{run_id}/wait" in client.openapi("acp")["paths"]


def test_webhooks_are_verified_as_a_receiver_would(client: Client) -> None:
    secret = client.webhooks.rotate_secret().secret
    assert secret.startswith("whsec_")
    with receiver() as hooks:
        run = client.runs.create("echo", {"hello": "hooks"}, callback_url=hooks.url)
        client.runs.wait(run.run_id, timeout=30)
        deadline = time.monotonic() + 20
        while len(hooks.accepted()) < 3:
            assert time.monotonic() < deadline, "webhooks did not arrive"
            time.sleep(0.1)
        received = hooks.accepted()
    verified = [client.webhooks.verify(r.body, r.headers, secret) for r in received]
    assert all(isinstance(v, WebhookEvent) for v in verified)
    assert sorted(v.type for v in verified) == ["run.created", "run.started", "run.succeeded"]
    assert {v.data.run.run_id for v in verified} == {run.run_id}
    with pytest.raises(WebhookVerificationError):
        client.webhooks.verify(received[0].body.replace(b"echo", b"ohce"), received[0].headers, secret)
    with pytest.raises(WebhookVerificationError):
        client.webhooks.verify(received[0].body, received[0].headers, "whsec_" + "A" * 43 + "=")

    deliveries = client.webhooks.deliveries(run.run_id, page_size=1).to_list()
    assert [d.status for d in deliveries] == ["delivered"] * 3
    again = client.webhooks.redeliver(deliveries[0].delivery_id)
    assert again.delivery_id == deliveries[0].delivery_id and again.status == "pending"


def test_the_url_and_key_come_from_the_environment(
    base_url: str, api_key: str, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_URL", base_url)
    monkeypatch.setenv("AGENT_RUNTIME_API_KEY", api_key)
    with Client(retry=FAST_RETRY) as client:
        assert (client.base_url, client.api_key) == (base_url, api_key)
        run = client.runs.create("echo", {"from": "env"})
    # Created as the key's tenant: the test's own client (same key) sees it.
    assert http.get(f"/v1/runs/{run.run_id}").json()["input"] == {"from": "env"}


def test_wait_holds_on_the_server_or_polls_where_it_cannot(base_url: str, api_key: str) -> None:
    plan = Plan(drops=0)
    with Client(base_url, api_key, retry=FAST_RETRY, transport=Faults(plan)) as client:
        run = client.runs.create("busy", {"seconds": 1, "per_second": 2})
        assert client.runs.wait(run.run_id, timeout=30).status == "succeeded"
        asked = [r.url.path for r in plan.requests if r.method == "GET"]
        assert asked and all(path == f"/v1/runs/{run.run_id}/wait" for path in asked)
        assert len(asked) <= 3  # held on the server, not polled
        parked = client.runs.create("approval", ARTICLE)
        assert (
            client.runs.wait(parked.run_id, until="waiting_for_input", timeout=30).status
            == "waiting_for_input"
        )
        with pytest.raises(WaitTimeout) as timed_out:
            client.runs.wait(parked.run_id, timeout=0.5)  # terminal only, and a human must answer first
        assert timed_out.value.run.status == "waiting_for_input"

    # A deployment without the endpoint (API Gateway answers 403 for a path it doesn't know): polling.
    def no_wait(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/wait"):
            return httpx.Response(403, json={"message": "Missing Authentication Token"})
        return None

    plan = Plan(drops=0, fake=no_wait)
    with Client(base_url, api_key, retry=FAST_RETRY, transport=Faults(plan)) as client:
        run = client.runs.create("busy", {"seconds": 1, "per_second": 2})
        assert client.runs.wait(run.run_id, timeout=30).status == "succeeded"
        waits = [r for r in plan.requests if r.url.path.endswith("/wait")]
        polls = [r for r in plan.requests if r.method == "GET" and r.url.path == f"/v1/runs/{run.run_id}"]
        assert len(waits) == 1 and len(polls) >= 2
        with pytest.raises(NotFoundError):
            client.runs.wait("no-such-run")

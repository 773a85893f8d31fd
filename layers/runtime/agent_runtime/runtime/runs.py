"""Creating, reading, listing and cancelling runs."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from agent_runtime import orchestration
from agent_runtime.canonical import sha256_of
from agent_runtime.clock import now_iso
from agent_runtime.errors import BadRequest, Conflict
from agent_runtime.models import CreateRunRequest, Run, RunPage
from agent_runtime.runtime import budget, checkpoints
from agent_runtime.runtime.validation import validate_against
from agent_runtime.store import checkpoints as checkpoint_store
from agent_runtime.store import payloads
from agent_runtime.store import runs as store
from agent_runtime.store.runs import (
    GuardFailed,
    IdempotencyKeyReused,
    NewEvent,
    RunRecord,
)
from agent_runtime.webhooks.urls import validate_callback_url
from agent_runtime.workflows.registry import registry
from agent_runtime.workflows.sdk import Workflow

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def create_run(tenant_id: str, request: CreateRunRequest, idempotency_key: str | None) -> tuple[Run, bool]:
    """Store a run and start its execution. Returns the run and whether it was an idempotent replay."""
    record, replayed = create_record(tenant_id, request, idempotency_key)
    return record.to_api(), replayed


def create_record(
    tenant_id: str,
    request: CreateRunRequest,
    idempotency_key: str | None,
    *,
    run_id: str | None = None,
    callback_protocol: str = "v1",
    thread_id: str | None = None,
    protocol_options: dict[str, Any] | None = None,
    extra_items: Sequence[dict[str, Any]] = (),
    checked: Workflow | None = None,
) -> tuple[RunRecord, bool]:
    """The stored run and whether it was an idempotent replay.

    Protocol front ends (ACP) pass their own run id, the thread the run belongs to, options to echo
    back, and further transaction entries (claiming the thread) written atomically with the run, and
    the workflow when they ran check_request already (it resolves the callback URL: not twice).
    """
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        raise BadRequest(
            "Idempotency-Key must be 1-255 visible ASCII characters",
            errors=[{"field": "Idempotency-Key", "message": "1-255 visible ASCII characters"}],
        )
    workflow = checked or check_request(request)

    run_id = run_id or str(uuid.uuid4())
    now = now_iso()
    record = RunRecord(
        run_id=run_id,
        tenant_id=tenant_id,
        status="queued",
        workflow_name=workflow.name,
        workflow_version=workflow.version,
        schema_hash=workflow.schema_hash,
        input=payloads.dump(tenant_id, run_id, "input", request.input),
        config=payloads.dump(tenant_id, run_id, "config", request.config),
        metadata=json.dumps(request.metadata),
        callback_url=request.callback_url,
        created_at=now,
        updated_at=now,
        callback_protocol=callback_protocol,
        thread_id=thread_id,
        protocol_options=json.dumps(protocol_options or {}),
    )
    created = NewEvent(
        "run.created", {"status": "queued", "workflow": {"name": workflow.name, "version": workflow.version}}
    )
    idempotency = None
    if idempotency_key is not None:
        idempotency = (idempotency_key, sha256_of(request.model_dump(mode="json", exclude_unset=True)))
    replayed = False
    try:
        record = store.create(record, created, idempotency, extra_items)
    except IdempotencyKeyReused as hit:
        assert idempotency is not None
        if hit.fingerprint != idempotency[1]:
            raise Conflict(
                "Idempotency-Key was already used with a different request body",
                errors=[{"field": "Idempotency-Key", "message": "reused with a different body"}],
            ) from hit
        record = store.get(hit.run_id, tenant_id)
        replayed = True
    if record.status == "queued":
        # Also on replay: if the first request died between storing and starting, this heals it.
        orchestration.start_run(record.run_id, tenant_id)
    return record, replayed


def check_request(request: CreateRunRequest) -> Workflow:
    """The run's workflow, if the request could start a run of it (404, 409 or 422 otherwise)."""
    workflow = registry().get(request.workflow.name, request.workflow.version)
    if request.schema_hash is not None and request.schema_hash != workflow.schema_hash:
        raise Conflict(
            f"schema_hash does not match {workflow.name} {workflow.version}: fetch its schemas again",
            errors=[{"field": "schema_hash", "message": f"current hash is {workflow.schema_hash}"}],
            schema_hash=workflow.schema_hash,
        )
    validate_against(workflow.input_model, request.input, "input")
    validate_against(workflow.config_model, request.config, "config")
    validate_callback_url(request.callback_url)
    return workflow


def get_run(tenant_id: str, run_id: str) -> Run:
    return store.get(run_id, tenant_id).to_api()


def list_runs(
    tenant_id: str, *, status: str | None, workflow: str | None, limit: int, cursor: str | None
) -> RunPage:
    records, next_cursor = store.list_for_tenant(
        tenant_id, status=status, workflow=workflow, limit=limit, cursor=cursor
    )
    runs = budget.take(r.to_api() for r in records)
    if len(runs) < len(records):  # the page is full before `limit`: go on after its last run
        next_cursor = store.cursor_after(records[len(runs) - 1], status=status, workflow=workflow)
    return RunPage(data=runs, next_cursor=next_cursor)


def cancel_run(tenant_id: str, run_id: str) -> Run:
    """Cancel in any non-terminal state. A run waiting on a human has its pending checkpoint cancelled
    in the same transaction and its parked wait failed, so late answers get 409 and nothing resumes."""
    store.get(run_id, tenant_id)  # 404 for runs of other tenants
    try:
        record, pending = checkpoints.end_run(
            run_id, [NewEvent("run.cancelled", {"status": "cancelled"})], {"status": "cancelled"}
        )
    except GuardFailed as failed:
        raise store.conflict_for(failed.current, "cancel") from failed
    for cancelled in pending:
        token = checkpoint_store.get(run_id, cancelled.checkpoint_id).task_token
        if token:  # else the AwaitHuman task will find it cancelled and fail the wait itself
            orchestration.abort(token, "RunCancelled", "the run was cancelled")
    orchestration.stop_run(run_id, "cancelled through the API")
    return record.to_api()

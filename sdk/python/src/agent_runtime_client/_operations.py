"""Every operation of the v1 API as a `Call`: its method, path, parameters, body and how the response
becomes a model. The sync and async clients send the same calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent_runtime_client._core import Call, json_body, model, segment
from agent_runtime_client.models import (
    ArtifactList,
    ArtifactWithDownload,
    Checkpoint,
    CheckpointPage,
    Delivery,
    DeliveryPage,
    EventPage,
    Run,
    RunPage,
    UsageSummary,
    WebhookSecret,
    WorkflowDetail,
    WorkflowList,
    WorkflowSchemas,
)


def _run(run_id: str) -> str:
    return f"/v1/runs/{segment(run_id)}"


def _checkpoint(run_id: str, checkpoint_id: str) -> str:
    return f"{_run(run_id)}/checkpoints/{segment(checkpoint_id)}"


# -- runs ------------------------------------------------------------------------------------------
def create_run(
    workflow: str,
    input: Any,
    *,
    version: str | None,
    config: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    callback_url: str | None,
    schema_hash: str | None,
    idempotency_key: str,
) -> Call[Run]:
    body: dict[str, Any] = {"workflow": {"name": workflow, **({"version": version} if version else {})}}
    optional = {
        "input": input,
        "config": config,
        "metadata": metadata,
        "callback_url": callback_url,
        "schema_hash": schema_hash,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    # Safe to repeat: the same key and body return the run the first attempt created.
    return Call("POST", "/v1/runs", model(Run), json=body, headers={"Idempotency-Key": idempotency_key})


def get_run(run_id: str) -> Call[Run]:
    return Call("GET", _run(run_id), model(Run))


def list_runs(
    status: str | None,
    workflow: str | None,
    limit: int | None,
    cursor: str | None,
    metadata: Mapping[str, str] | None = None,
) -> Call[RunPage]:
    params: dict[str, Any] = {"status": status, "workflow": workflow, "limit": limit, "cursor": cursor}
    # Top-level metadata values, ANDed: ?metadata.team=ops
    params.update({f"metadata.{key}": value for key, value in (metadata or {}).items()})
    return Call("GET", "/v1/runs", model(RunPage), params=params)


def wait_run(run_id: str, hold_seconds: float) -> Call[Run]:
    """The server holds the request until the run ends or waits for a human, or `hold_seconds` pass."""
    return Call("GET", f"{_run(run_id)}/wait", model(Run), params={"timeout": f"{hold_seconds:.3f}"})


def cancel_run(run_id: str) -> Call[Run]:
    return Call("POST", f"{_run(run_id)}/cancel", model(Run))


def run_events(run_id: str, after: int | str, limit: int | None) -> Call[EventPage]:
    return Call("GET", f"{_run(run_id)}/events", model(EventPage), params={"after": after, "limit": limit})


def events_path(run_id: str) -> str:
    return f"{_run(run_id)}/events"


# -- checkpoints -----------------------------------------------------------------------------------
def list_checkpoints(run_id: str, cursor: str | None) -> Call[CheckpointPage]:
    return Call("GET", f"{_run(run_id)}/checkpoints", model(CheckpointPage), params={"cursor": cursor})


def get_checkpoint(run_id: str, checkpoint_id: str) -> Call[Checkpoint]:
    return Call("GET", _checkpoint(run_id, checkpoint_id), model(Checkpoint))


def checkpoint_inbox(
    status: str | None, assignee: str | None, limit: int | None, cursor: str | None
) -> Call[CheckpointPage]:
    params = {"status": status, "assignee": assignee, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/checkpoints", model(CheckpointPage), params=params)


def approve_checkpoint(run_id: str, checkpoint_id: str, comment: str | None) -> Call[Checkpoint]:
    body = {"comment": comment} if comment is not None else {}
    return Call("POST", f"{_checkpoint(run_id, checkpoint_id)}/approve", model(Checkpoint), json=body)


def reject_checkpoint(run_id: str, checkpoint_id: str, reason: str | None) -> Call[Checkpoint]:
    body = {"reason": reason} if reason is not None else {}
    return Call("POST", f"{_checkpoint(run_id, checkpoint_id)}/reject", model(Checkpoint), json=body)


def assign_checkpoint(run_id: str, checkpoint_id: str, body: dict[str, Any]) -> Call[Checkpoint]:
    """`{"assignee": name | None}` reassigns (None: to anyone), `{"claim": True}` assigns to the caller."""
    return Call("POST", f"{_checkpoint(run_id, checkpoint_id)}/assign", model(Checkpoint), json=body)


def submit_checkpoint_input(run_id: str, checkpoint_id: str, data: dict[str, Any]) -> Call[Checkpoint]:
    path = f"{_checkpoint(run_id, checkpoint_id)}/input"
    return Call("POST", path, model(Checkpoint), json={"data": data})


def expected_resolution(action: str, value: Any) -> tuple[str, dict[str, Any]]:
    """The resolution an answer leads to: (decision, members), to recognise it after a retry."""
    if action == "approve":
        return "approved", {"comment": value}
    if action == "reject":
        return "rejected", {"reason": value}
    decision_keys = {"approved", "comment", "reason"}
    if isinstance(value, dict) and isinstance(value.get("approved"), bool) and set(value) <= decision_keys:
        if value["approved"]:
            return "approved", {"comment": value.get("comment")}
        return "rejected", {"reason": value.get("reason")}
    return "submitted", {"data": value}


def get_usage(start: str, end: str | None, workflow: str | None, cursor: str | None) -> Call[UsageSummary]:
    params = {"from": start, "to": end, "workflow": workflow, "cursor": cursor}
    return Call("GET", "/v1/usage", model(UsageSummary), params=params)


# -- artifacts -------------------------------------------------------------------------------------
def list_artifacts(run_id: str) -> Call[ArtifactList]:
    return Call("GET", f"{_run(run_id)}/artifacts", model(ArtifactList))


def get_artifact(artifact_id: str) -> Call[ArtifactWithDownload]:
    return Call("GET", f"/v1/artifacts/{segment(artifact_id)}", model(ArtifactWithDownload))


# -- workflows -------------------------------------------------------------------------------------
def list_workflows() -> Call[WorkflowList]:
    return Call("GET", "/v1/workflows", model(WorkflowList))


def get_workflow(name: str) -> Call[WorkflowDetail]:
    return Call("GET", f"/v1/workflows/{segment(name)}", model(WorkflowDetail))


def get_workflow_schemas(name: str, version: str | None) -> Call[WorkflowSchemas]:
    path = f"/v1/workflows/{segment(name)}/schemas"
    return Call("GET", path, model(WorkflowSchemas), params={"version": version})


# -- webhooks --------------------------------------------------------------------------------------
def list_deliveries(run_id: str, after: str | None, limit: int | None) -> Call[DeliveryPage]:
    params = {"after": after, "limit": limit}
    return Call("GET", f"{_run(run_id)}/deliveries", model(DeliveryPage), params=params)


def redeliver(delivery_id: str) -> Call[Delivery]:
    # Not repeated after an ambiguous failure: that could send the delivery twice (receivers dedupe by
    # webhook-id, but one redelivery was asked for).
    path = f"/v1/deliveries/{segment(delivery_id)}/redeliver"
    return Call("POST", path, model(Delivery), safe=False)


def rotate_webhook_secret() -> Call[WebhookSecret]:
    # Not repeated after an ambiguous failure: a second rotation would make the first new secret the
    # previous one, and its response, the only place it is shown, was lost.
    return Call("POST", "/v1/webhook-secret/rotate", model(WebhookSecret), safe=False)


# -- the contract ----------------------------------------------------------------------------------
def get_openapi(protocol: str) -> Call[Any]:
    paths = {"v1": "/v1/openapi.json", "acp": "/v1/openapi/acp.json"}
    if protocol not in paths:
        raise ValueError(f"protocol must be one of {sorted(paths)}")
    return Call("GET", paths[protocol], json_body)

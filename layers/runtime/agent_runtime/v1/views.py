"""Engine objects in the v1 API's shapes (v1/models.py, openapi/agent-runtime.yaml)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agent_runtime.engine import prices, usage
from agent_runtime.engine.model import Artifact, ArtifactDownload, Checkpoint, Delivery, Event, Run
from agent_runtime.v1 import models

if TYPE_CHECKING:
    from agent_runtime.workflows.registry import Registry


def run_model(run: Run) -> models.Run:
    return models.Run(
        run_id=run.run_id,
        status=run.status,  # type: ignore[arg-type]
        workflow=models.WorkflowRef(name=run.workflow_name, version=run.workflow_version),
        schema_hash=run.schema_hash,
        input=run.input,
        output=run.output,
        error=models.RunError(**run.error) if run.error else None,
        config=run.config,
        metadata=run.metadata,
        callback_url=run.callback_url,
        parent_run_id=run.parent_run_id,
        budget=models.RunBudget(**run.budget) if run.budget else None,
        created_at=run.created_at,
        updated_at=run.updated_at,
        usage=models.RunUsage(**usage.view(run.usage, run.model_usage)),
        estimated_cost_usd=usage.cost(run.usage, run.model_usage),
    )


def usage_json(summary: usage.Summary) -> dict[str, Any]:
    return models.UsageSummary(
        **{"from": summary.start},
        to=summary.end,
        workflow=summary.workflow,
        runs=summary.runs,
        usage=models.RunUsage(**usage.view(summary.usage, summary.models)),
        estimated_cost_usd=summary.estimated_cost_usd,
        prices_as_of=prices.PRICES_AS_OF,
        truncated=summary.next_cursor is not None,
        next_cursor=summary.next_cursor,
    ).model_dump(mode="json", by_alias=True)


def run_json(run: Run) -> dict[str, Any]:
    return run_model(run).model_dump(mode="json")


def event_model(event: Event) -> models.Event:
    return models.Event(
        id=event.seq, run_id=event.run_id, type=event.type, data=event.data, created_at=event.created_at
    )


def event_json(event: Event) -> dict[str, Any]:
    return event_model(event).model_dump(mode="json")


def checkpoint_json(checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint as the API shows it (never its task token, which the engine doesn't hand out)."""
    return {
        "checkpoint_id": checkpoint.checkpoint_id,
        "run_id": checkpoint.run_id,
        "name": checkpoint.name,
        "type": checkpoint.type,
        "status": checkpoint.status,
        "prompt": checkpoint.prompt,
        "payload": checkpoint.payload,
        "response_schema": checkpoint.response_schema,
        "assignee": checkpoint.assignee,
        "timeout_seconds": checkpoint.timeout_seconds,
        "expires_at": checkpoint.expires_at,
        "workflow": {"name": checkpoint.workflow_name, "version": checkpoint.workflow_version},
        "created_at": checkpoint.created_at,
        "resolved_at": checkpoint.resolved_at,
        "resolution": checkpoint.resolution,
    }


def artifact_json(artifact: Artifact) -> dict[str, Any]:
    return {
        "artifact_id": artifact.artifact_id,
        "run_id": artifact.run_id,
        "name": artifact.name,
        "content_type": artifact.content_type,
        "size": artifact.size,
        "sha256": artifact.sha256,
        "step": artifact.step,
        "created_at": artifact.created_at,
    }


def download_json(download: ArtifactDownload) -> dict[str, Any]:
    return {
        **artifact_json(download.artifact),
        "download_url": download.url,
        "expires_at": download.expires_at,
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": delivery.delivery_id,
        "run_id": delivery.run_id,
        "event_id": delivery.seq,
        "event_type": delivery.event_type,
        "url": delivery.url,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "attempts": json.loads(delivery.attempts),
        "next_retry_at": delivery.next_retry_at,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
    }


# -- the workflow catalog ------------------------------------------------------------------------
def workflow_list(registry: Registry) -> models.WorkflowList:
    summaries = []
    for name in registry.names():
        versions = registry.versions(name)
        summaries.append(
            models.WorkflowSummary(
                name=name,
                description=versions[0].description,
                latest_version=versions[0].version,
                versions=[w.version for w in versions],
                checkpoints=versions[0].schemas()["checkpoints"],
            )
        )
    return models.WorkflowList(data=summaries)


def workflow_detail(registry: Registry, name: str) -> models.WorkflowDetail:
    versions = registry.versions(name)
    return models.WorkflowDetail(
        name=name,
        description=versions[0].description,
        latest_version=versions[0].version,
        versions=[
            models.WorkflowVersion(
                version=w.version,
                schema_hash=w.schema_hash,
                steps=[s.name for s in w.steps],
                checkpoints=w.schemas()["checkpoints"],
            )
            for w in versions
        ],
    )


def workflow_schemas(registry: Registry, name: str, version: str | None) -> models.WorkflowSchemas:
    workflow = registry.get(name, version)
    return models.WorkflowSchemas(
        name=workflow.name, version=workflow.version, schema_hash=workflow.schema_hash, **workflow.schemas()
    )

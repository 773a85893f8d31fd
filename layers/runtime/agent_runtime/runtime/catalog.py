"""The workflow catalog as the API shows it."""

from __future__ import annotations

from agent_runtime.models import (
    WorkflowDetail,
    WorkflowList,
    WorkflowSchemas,
    WorkflowSummary,
    WorkflowVersion,
)
from agent_runtime.workflows.registry import registry


def list_workflows() -> WorkflowList:
    summaries = []
    for name in registry().names():
        versions = registry().versions(name)
        summaries.append(
            WorkflowSummary(
                name=name,
                description=versions[0].description,
                latest_version=versions[0].version,
                versions=[w.version for w in versions],
                checkpoints=versions[0].schemas()["checkpoints"],
            )
        )
    return WorkflowList(data=summaries)


def get_workflow(name: str) -> WorkflowDetail:
    versions = registry().versions(name)
    return WorkflowDetail(
        name=name,
        description=versions[0].description,
        latest_version=versions[0].version,
        versions=[
            WorkflowVersion(
                version=w.version,
                schema_hash=w.schema_hash,
                steps=[s.name for s in w.steps],
                checkpoints=w.schemas()["checkpoints"],
            )
            for w in versions
        ],
    )


def get_schemas(name: str, version: str | None) -> WorkflowSchemas:
    workflow = registry().get(name, version)
    schemas = workflow.schemas()
    return WorkflowSchemas(
        name=workflow.name, version=workflow.version, schema_hash=workflow.schema_hash, **schemas
    )

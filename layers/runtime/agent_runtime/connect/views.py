"""Engine objects as the Connect door's protobuf messages (proto/agent_runtime.proto): the same fields,
under the same names, as the v1 JSON shapes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from protobuf import Message
from protobuf.wkt import Struct, Value

from agent_runtime.connect.gen import agent_runtime_pb as pb
from agent_runtime.engine import usage
from agent_runtime.engine.model import Artifact, ArtifactDownload, Checkpoint, Event, Run

if TYPE_CHECKING:
    from agent_runtime.workflows.registry import Registry

M = TypeVar("M", bound=Message[Any])


def json_value(value: Any) -> Value:
    return Value.from_python(value)


def json_struct(value: Mapping[str, Any] | None) -> Struct:
    return Struct.from_python(dict(value or {}))


def from_json_value(value: Any) -> Any:
    """google.protobuf.Value/Struct content as plain JSON. Struct numbers are doubles: an integral one
    is the integer the client wrote (JSON has one number type; the workflow's schema may ask for one)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: from_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    return value


def as_json(message: Message[Any]) -> Any:
    """A message as the JSON the engine's page budget measures (engine/budget.py: what one response
    may hold); `from_json_list` turns a page of them back into messages."""
    return json.loads(message.to_json())


def from_json_list(cls: type[M], items: list[Any]) -> list[M]:
    return [cls.from_json(json.dumps(item)) for item in items]


def run_status(status: str) -> pb.RunStatus:
    return pb.RunStatus[status.upper()]


def run_message(run: Run) -> pb.Run:
    counts = usage.view(run.usage, run.model_usage)
    counts["models"] = {model: pb.ModelUsage(**tokens) for model, tokens in counts["models"].items()}
    return pb.Run(
        run_id=run.run_id,
        status=run_status(run.status),
        workflow=pb.WorkflowRef(name=run.workflow_name, version=run.workflow_version),
        schema_hash=run.schema_hash,
        input=json_value(run.input),
        output=json_value(run.output),
        error=pb.RunError(type=str(run.error["type"]), message=str(run.error["message"]))
        if run.error
        else None,
        config=json_value(run.config),
        metadata=json_struct(run.metadata),
        callback_url=run.callback_url,
        parent_run_id=run.parent_run_id,
        created_at=run.created_at,
        updated_at=run.updated_at,
        usage=pb.RunUsage(**counts),
        estimated_cost_usd=usage.cost(run.usage, run.model_usage),
    )


def event_message(event: Event) -> pb.Event:
    return pb.Event(
        id=event.seq,
        run_id=event.run_id,
        type=event.type,
        data=json_struct(event.data),
        created_at=event.created_at,
    )


def checkpoint_message(checkpoint: Checkpoint) -> pb.HumanCheckpoint:
    return pb.HumanCheckpoint(
        checkpoint_id=checkpoint.checkpoint_id,
        run_id=checkpoint.run_id,
        name=checkpoint.name,
        type=pb.CheckpointType[checkpoint.type.upper()],
        status=pb.CheckpointStatus[checkpoint.status.upper()],
        prompt=checkpoint.prompt,
        payload=json_value(checkpoint.payload),
        response_schema=json_struct(checkpoint.response_schema),
        assignee=checkpoint.assignee,
        timeout_seconds=checkpoint.timeout_seconds,
        expires_at=checkpoint.expires_at,
        workflow=pb.WorkflowRef(name=checkpoint.workflow_name, version=checkpoint.workflow_version),
        created_at=checkpoint.created_at,
        resolved_at=checkpoint.resolved_at,
        resolution=json_struct(checkpoint.resolution) if checkpoint.resolution is not None else None,
    )


def artifact_message(artifact: Artifact) -> pb.Artifact:
    return pb.Artifact(
        artifact_id=artifact.artifact_id,
        run_id=artifact.run_id,
        name=artifact.name,
        content_type=artifact.content_type,
        size=artifact.size,
        sha256=artifact.sha256,
        step=artifact.step,
        created_at=artifact.created_at,
    )


def download_message(download: ArtifactDownload) -> pb.GetArtifactResponse:
    return pb.GetArtifactResponse(
        artifact=artifact_message(download.artifact),
        download_url=download.url,
        expires_at=download.expires_at,
    )


# -- the workflow catalog ------------------------------------------------------------------------
def workflow_list(registry: Registry) -> pb.ListWorkflowsResponse:
    summaries = []
    for name in registry.names():
        versions = registry.versions(name)
        summaries.append(
            pb.WorkflowSummary(
                name=name,
                description=versions[0].description,
                latest_version=versions[0].version,
                versions=[w.version for w in versions],
                checkpoints=json_struct(versions[0].schemas()["checkpoints"]),
            )
        )
    return pb.ListWorkflowsResponse(data=summaries)


def workflow_detail(registry: Registry, name: str) -> pb.GetWorkflowResponse:
    versions = registry.versions(name)
    return pb.GetWorkflowResponse(
        name=name,
        description=versions[0].description,
        latest_version=versions[0].version,
        versions=[
            pb.WorkflowVersion(
                version=w.version,
                schema_hash=w.schema_hash,
                steps=[s.name for s in w.steps],
                checkpoints=json_struct(w.schemas()["checkpoints"]),
            )
            for w in versions
        ],
    )


def workflow_schemas(registry: Registry, name: str, version: str | None) -> pb.WorkflowSchemas:
    workflow = registry.get(name, version)
    schemas = workflow.schemas()
    return pb.WorkflowSchemas(
        name=workflow.name,
        version=workflow.version,
        schema_hash=workflow.schema_hash,
        input=json_struct(schemas["input"]),
        output=json_struct(schemas["output"]),
        config=json_struct(schemas["config"]),
        checkpoints=json_struct(schemas["checkpoints"]),
    )

"""Workflows as ACP agents: stable ids, search, and descriptors generated from the workflow."""

from __future__ import annotations

import uuid
from typing import Any

from agent_runtime.errors import NotFound
from agent_runtime.workflows.registry import Registry
from agent_runtime.workflows.sdk import Workflow

# agent_id = uuid5(namespace, "name@version"): the same on every deployment.
AGENT_NAMESPACE = uuid.UUID("3b0b8f5e-6a2f-4a8e-9d59-0c2a1f7e5b11")


def agent_id(workflow: Workflow) -> str:
    return agent_id_of(workflow.name, workflow.version)


def agent_id_of(name: str, version: str) -> str:
    return str(uuid.uuid5(AGENT_NAMESPACE, f"{name}@{version}"))


def all_workflows(registry: Registry) -> list[Workflow]:
    return [w for name in registry.names() for w in registry.versions(name)]


def by_agent_id(registry: Registry, agent: str) -> Workflow:
    for workflow in all_workflows(registry):
        if agent_id(workflow) == agent:
            return workflow
    raise NotFound(f"agent {agent!r} does not exist")


def metadata(workflow: Workflow) -> dict[str, Any]:
    return {
        "ref": {"name": workflow.name, "version": workflow.version},
        "description": workflow.description or workflow.name,
    }


def agent(workflow: Workflow) -> dict[str, Any]:
    return {"agent_id": agent_id(workflow), "metadata": metadata(workflow)}


def search(
    registry: Registry, name: str | None, version: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    found = [
        w
        for w in all_workflows(registry)
        if (name is None or w.name == name) and (version is None or w.version == version)
    ]
    return [agent(w) for w in found[offset : offset + limit]]


def descriptor(workflow: Workflow) -> dict[str, Any]:
    schemas = workflow.schemas()
    specs: dict[str, Any] = {
        "capabilities": {
            "threads": True,
            "interrupts": bool(workflow.checkpoints),
            "callbacks": True,
            "streaming": {"values": True, "custom": True},
        },
        "input": schemas["input"],
        "output": schemas["output"],
        "config": schemas["config"],
        "custom_streaming_update": {
            "type": "object",
            "description": "The data of an event the workflow emits.",
        },
        "thread_state": schemas["output"],
        "interrupts": [
            {
                "interrupt_type": name,
                "interrupt_payload": kind.payload_model.model_json_schema(),
                "resume_payload": kind.response_schema(),
            }
            for name, kind in sorted(workflow.checkpoints.items())
        ],
    }
    return {"metadata": metadata(workflow), "specs": specs}


def manifest(workflow: Workflow, base_url: str) -> dict[str, Any]:
    """The agent's manifest, shaped as the ACP SDK's (an OASF record whose runtime-manifest extension
    holds the ACP descriptor's specs and the deployment): deployed as a remote ACP service here."""
    described = descriptor(workflow)
    return {
        "name": workflow.name,
        "description": described["metadata"]["description"],
        "version": workflow.version,
        "schema_version": "0.3.1",
        "authors": [],
        "locators": [{"type": "url", "url": f"{base_url}/agents/{agent_id(workflow)}"}],
        "skills": [],
        "metadata": described["metadata"],
        "extensions": [
            {
                "name": "oasf.agntcy.org/feature/runtime/manifest",
                "data": {
                    "acp": described["specs"],
                    "deployment": {
                        "deployment_options": [
                            {
                                "type": "remote_service",
                                "name": "agent-runtime",
                                "protocol": {"type": "ACP", "url": base_url},
                            }
                        ],
                        "env_vars": [],
                        "dependencies": [],
                    },
                },
            }
        ],
    }

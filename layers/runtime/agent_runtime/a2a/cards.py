"""Agent cards: the runtime's (every workflow is a skill) and one per workflow (its interfaces carry
the workflow's name as A2A's `tenant`, the routing key the spec provides for several agents behind one
endpoint). The extended card, behind authentication, adds every version and its schemas."""

from __future__ import annotations

import json
from typing import Any

from agent_runtime.a2a.errors import InvalidParams
from agent_runtime.errors import NotFound
from agent_runtime.workflows.registry import Registry
from agent_runtime.workflows.sdk import Workflow

PROTOCOL_VERSION = "1.0"
RUNTIME_VERSION = "0.1.0"
# Our additions to A2A, opt-in and backward compatible (decision 43): a gap-free event id on every
# streamed update and push notification, and SubscribeToTask resuming after one.
EVENT_IDS_EXTENSION = "urn:agent-runtime:a2a:event-ids:v1"
INPUT_MODES = ["application/json", "text/plain"]
OUTPUT_MODES = ["application/json", "text/plain"]
SECURITY_SCHEMES = {
    "apiKey": {
        "apiKeySecurityScheme": {
            "description": "An agent-runtime API key (ar_...) in the x-api-key header",
            "location": "header",
            "name": "x-api-key",
        }
    },
    "bearer": {
        "httpAuthSecurityScheme": {
            "description": "An agent-runtime API key (ar_...) as a bearer token",
            "scheme": "Bearer",
        }
    },
}
# Either scheme: each requirement lists one.
SECURITY_REQUIREMENTS: list[dict[str, Any]] = [
    {"schemes": {"apiKey": {"list": []}}},
    {"schemes": {"bearer": {"list": []}}},
]


def interfaces(base_url: str, tenant: str | None) -> list[dict[str, Any]]:
    url = f"{base_url}/a2a"
    out = []
    for binding in ("JSONRPC", "HTTP+JSON"):
        interface: dict[str, Any] = {
            "url": url,
            "protocolBinding": binding,
            "protocolVersion": PROTOCOL_VERSION,
        }
        if tenant:
            interface["tenant"] = tenant
        out.append(interface)
    return out


def capabilities() -> dict[str, Any]:
    return {
        "streaming": True,
        "pushNotifications": True,
        "extendedAgentCard": True,
        "extensions": [
            {
                "uri": EVENT_IDS_EXTENSION,
                "description": (
                    "Every streamed update and push notification carries metadata.eventId, the run's "
                    "gap-free event number; SubscribeToTask with a Last-Event-ID header resumes after it "
                    "with no gap and no duplicate."
                ),
                "required": False,
            }
        ],
    }


def skill(workflow: Workflow, *, detailed: bool = False) -> dict[str, Any]:
    tags = ["workflow", *sorted({f"human-{kind.type}" for kind in workflow.checkpoints.values()})]
    description = workflow.description or f"Runs the {workflow.name} workflow."
    body: dict[str, Any] = {
        "id": workflow.name if not detailed else f"{workflow.name}@{workflow.version}",
        "name": workflow.name,
        "description": description,
        "tags": tags,
        "inputModes": INPUT_MODES,
        "outputModes": OUTPUT_MODES,
    }
    if detailed:
        schemas = workflow.schemas()
        body["description"] = (
            f"{description} Version {workflow.version}. Input (a data part, or text for a single text "
            f"field): {json.dumps(schemas['input'], separators=(',', ':'))}"
        )
        body["examples"] = [json.dumps({"input": schemas["input"], "config": schemas["config"]})]
    return body


def _card(name: str, description: str, version: str, base_url: str, tenant: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "supportedInterfaces": interfaces(base_url, tenant),
        "version": version,
        "documentationUrl": f"{base_url}/v1/openapi.json",
        "capabilities": capabilities(),
        "securitySchemes": SECURITY_SCHEMES,
        "securityRequirements": SECURITY_REQUIREMENTS,
        "defaultInputModes": INPUT_MODES,
        "defaultOutputModes": OUTPUT_MODES,
    }


def default_skill(registry: Registry) -> str | None:
    """The workflow a message to the runtime's card runs when it names none: the first skill listed,
    so a client that knows nothing of `metadata.skill` still gets a task."""
    names = registry.names()
    return names[0] if names else None


def runtime_card(registry: Registry, base_url: str, *, extended: bool = False) -> dict[str, Any]:
    """The runtime as one agent: its skills are the workflows. A message names the skill it wants with
    `metadata.skill` (or goes to a workflow's own card, whose interfaces set `tenant`); one that names
    none runs the default skill, the first listed."""
    default = default_skill(registry)
    card = _card(
        "agent-runtime",
        "Workflow runtime: each skill is a workflow. Name it with message.metadata.skill, or use the "
        "workflow's own card (GET /.well-known/agent-card.json?agent=<workflow>); a message naming no "
        f"skill runs the first one listed, {default}.",
        RUNTIME_VERSION,
        base_url,
        None,
    )
    if extended:
        card["skills"] = [
            skill(w, detailed=True) for name in registry.names() for w in registry.versions(name)
        ]
    else:
        card["skills"] = [skill(registry.get(name)) for name in registry.names()]
    return card


def workflow_card(workflow: Workflow, base_url: str, *, extended: bool = False) -> dict[str, Any]:
    card = _card(
        workflow.name,
        workflow.description or f"The {workflow.name} workflow.",
        workflow.version,
        base_url,
        workflow.name,
    )
    card["skills"] = [skill(workflow, detailed=extended)]
    return card


def extended_card(registry: Registry, agent: str | None, base_url: str) -> dict[str, Any]:
    """GetExtendedAgentCard: the interface's workflow's card (`tenant`), else the runtime's."""
    if not agent:
        return runtime_card(registry, base_url, extended=True)
    try:
        workflow = registry.get(agent)
    except NotFound as missing:
        raise InvalidParams(
            str(missing), errors=[{"field": "tenant", "message": "no such workflow"}]
        ) from None
    return workflow_card(workflow, base_url, extended=True)

"""The registry of workflows: built-ins plus the modules operators configure.

A workflow module exposes `WORKFLOWS: list[Workflow]`. Operators list extra modules in
AGENT_RUNTIME_WORKFLOW_MODULES (comma-separated import paths).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import lru_cache

from agent_runtime.config import settings
from agent_runtime.errors import NotFound
from agent_runtime.workflows.sdk import Workflow
from agent_runtime.workflows.semver import sort_key

BUILTIN_MODULES = (
    "agent_runtime.workflows.builtin.echo",
    "agent_runtime.workflows.builtin.approval",
    "agent_runtime.workflows.builtin.intake",
    "agent_runtime.workflows.builtin.echo_agent",
    "agent_runtime.workflows.builtin.triage_agent",
    "agent_runtime.workflows.builtin.research_agent",
)


class Registry:
    def __init__(self, workflows: Iterable[Workflow] = ()) -> None:
        self._by_name: dict[str, dict[str, Workflow]] = {}
        for workflow in workflows:
            self.register(workflow)

    def register(self, workflow: Workflow) -> None:
        versions = self._by_name.setdefault(workflow.name, {})
        if workflow.version in versions:
            raise ValueError(f"{workflow!r} is registered twice")
        versions[workflow.version] = workflow

    def replace(self, other: Registry) -> None:
        """Serve `other`'s workflows from now on. One assignment, and every read goes through it once,
        so a reader sees the old set or the new, never a mix (agent_runtime_local/reloader.py)."""
        self._by_name = other._by_name

    def all(self) -> list[Workflow]:
        """Every version of every workflow, by name, newest version first."""
        by_name = self._by_name  # once: a replace() meanwhile must not mix two sets
        return [
            workflow
            for name in sorted(by_name)
            for workflow in sorted(by_name[name].values(), key=lambda w: sort_key(w.version), reverse=True)
        ]

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def versions(self, name: str) -> list[Workflow]:
        """All versions of a workflow, newest first."""
        versions = self._by_name.get(name)
        if not versions:
            raise NotFound(f"workflow {name!r} does not exist")
        return sorted(versions.values(), key=lambda w: sort_key(w.version), reverse=True)

    def get(self, name: str, version: str | None = None) -> Workflow:
        """The named workflow at `version`, or its latest version when none is given."""
        versions = self.versions(name)
        if version is None:
            return versions[0]
        for workflow in versions:
            if workflow.version == version:
                return workflow
        raise NotFound(f"workflow {name!r} has no version {version!r}")


def load_modules(modules: Iterable[str]) -> Registry:
    registry = Registry()
    for module_name in modules:
        module = importlib.import_module(module_name)
        for workflow in getattr(module, "WORKFLOWS", []):
            registry.register(workflow)
    return registry


@lru_cache(maxsize=1)
def registry() -> Registry:
    return load_modules((*BUILTIN_MODULES, *settings().workflow_modules))

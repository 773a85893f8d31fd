"""The workflow SDK and registry, without AWS."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from agent_runtime.errors import NotFound
from agent_runtime.workflows import StepContext, Workflow
from agent_runtime.workflows.registry import Registry, load_modules
from agent_runtime.workflows.semver import is_semver, sort_key


class In(BaseModel):
    text: str


class Out(BaseModel):
    length: int


def make(version: str, output: type[BaseModel] = Out) -> Workflow:
    workflow = Workflow("measure", version, input_model=In, output_model=output)

    @workflow.step
    def measure(ctx: StepContext) -> dict[str, int]:
        return {"length": len(ctx.input.text)}

    return workflow


def test_versions_must_be_semantic() -> None:
    with pytest.raises(ValueError, match="not semantic"):
        make("1.0")
    assert is_semver("1.2.3-rc.1")


def test_semver_orders_releases_after_prereleases_and_numerically() -> None:
    versions = ["1.10.0", "1.2.0", "1.2.0-rc.1", "1.2.0-alpha", "0.9.9", "1.2.0-rc.10"]
    assert sorted(versions, key=sort_key) == [
        "0.9.9",
        "1.2.0-alpha",
        "1.2.0-rc.1",
        "1.2.0-rc.10",
        "1.2.0",
        "1.10.0",
    ]


def test_registry_returns_the_latest_version_when_none_is_asked() -> None:
    registry = Registry([make("1.2.0"), make("1.10.0"), make("1.10.0-beta")])
    assert registry.get("measure").version == "1.10.0"
    assert registry.get("measure", "1.2.0").version == "1.2.0"
    assert [w.version for w in registry.versions("measure")] == ["1.10.0", "1.10.0-beta", "1.2.0"]


def test_registry_refuses_duplicates_and_reports_unknowns() -> None:
    registry = Registry([make("1.0.0")])
    with pytest.raises(ValueError, match="twice"):
        registry.register(make("1.0.0"))
    with pytest.raises(NotFound):
        registry.get("nope")
    with pytest.raises(NotFound, match="no version"):
        registry.get("measure", "2.0.0")


def test_schema_hash_is_stable_and_changes_with_the_schemas() -> None:
    class OtherOut(BaseModel):
        length: int
        words: int

    assert make("1.0.0").schema_hash == make("1.0.0").schema_hash
    assert make("1.0.0").schema_hash.startswith("sha256:")
    assert make("1.0.0").schema_hash != make("1.0.0", OtherOut).schema_hash


def test_duplicate_step_names_are_refused() -> None:
    workflow = make("1.0.0")
    with pytest.raises(ValueError, match="duplicate step"):
        workflow.step(lambda ctx: None, name="measure")


class RecordingRuntime:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []

    def emit(self, event_type: str, data: dict[str, object]) -> None:
        self.sent.append((event_type, data))


def test_custom_events_may_not_use_reserved_prefixes() -> None:
    runtime = RecordingRuntime()
    sent = runtime.sent
    ctx = StepContext("r", "t", make("1.0.0"), In(text="x"), None, {}, {}, {}, "measure", runtime)  # type: ignore[arg-type]
    ctx.emit("tool.called", {"name": "search"})
    assert sent == [("tool.called", {"step": "measure", "name": "search"})]
    with pytest.raises(ValueError, match="reserved"):
        ctx.emit("run.hijacked")


def test_operator_modules_are_loaded_by_import_path() -> None:
    registry = load_modules(["agent_runtime.workflows.builtin.echo", "tests.workflows.samples"])
    assert {"echo", "counter", "slow"} <= set(registry.names())


def test_building_the_registry_loads_no_durable_sdk_until_a_durable_handler_runs() -> None:
    """The built-in durable workflows are registered without importing the SDK (cold start: a handler
    that serves no durable run never pays for it); their handler imports it when first called."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from agent_runtime.workflows.registry import registry\n"
        "triage = registry().get('triage_agent')\n"
        "assert triage.handler is not None\n"
        "print(sorted(m for m in sys.modules if m.startswith('aws_durable_execution_sdk_python')))\n"
        "try:\n"
        "    triage.handler({}, None)\n"
        "except Exception:\n"
        "    pass\n"
        "print('aws_durable_execution_sdk_python' in sys.modules)\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert shown.stdout.splitlines() == ["[]", "True"]

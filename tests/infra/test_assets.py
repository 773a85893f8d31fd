"""What each asset ships: the runtime layer only python/agent_runtime, the functions' code only
functions/ (with the state machine definition the manifest reads), and neither the local stack."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.infra


def _top_levels(root: Path) -> set[str]:
    return {path.name for path in root.iterdir()}


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_the_runtime_layer_holds_only_agent_runtime() -> None:
    from infra.compute import stage_runtime_layer
    from infra.config import StackConfig

    layer = stage_runtime_layer(StackConfig())
    assert _top_levels(layer) == {"python"}
    assert _top_levels(layer / "python") == {"agent_runtime"}
    files = _files(layer / "python")
    assert "agent_runtime/__init__.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert not [f for f in files if f.startswith("agent_runtime/local/") or f == "agent_runtime/cli.py"]


def test_the_function_code_holds_only_functions_with_the_state_machine_definition() -> None:
    from infra.compute import stage_function_code

    code = stage_function_code()
    assert _top_levels(code) == {"functions"}
    files = _files(code)
    assert {"functions/manifest.py", "functions/statemachine/run.asl.json"} <= files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]

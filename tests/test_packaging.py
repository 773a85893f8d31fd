"""What ships to Lambda: the runtime layer (agent_runtime) and the functions' code (functions/) import
only the standard library, each other and the runtime dependencies the dependencies layer is built from;
the local stack and CLI (agent_runtime_local) are a package of their own that never ships."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {"agent_runtime": ROOT / "layers" / "runtime" / "agent_runtime", "functions": ROOT / "functions"}
# The import names of pyproject's runtime `dependencies` (and what they bring: botocore with boto3,
# pydantic_core with pydantic; `protobuf` is protobuf-py's import name, the Connect door's messages).
RUNTIME_IMPORTS = {
    "boto3",
    "botocore",
    "pydantic",
    "pydantic_core",
    "standardwebhooks",
    "httpx",
    "aws_durable_execution_sdk_python",
    "typing_extensions",  # pydantic's
    "connectrpc",
    "protobuf",
    "mimeparse",
    "aws_lambda_powertools",
}
# The optional extras' import names, by the adapter that alone may import them (agent_runtime/frameworks/).
EXTRA_IMPORTS = {
    "pydantic_ai.py": {"pydantic_ai", "pydantic_core"},
    "langgraph.py": {"langgraph", "langchain_core", "pydantic_core"},
}
EXTRAS = {"pydantic-ai": "pydantic-ai-slim", "langgraph": "langgraph"}
RUNTIME_REQUIREMENTS = {
    "boto3",
    "pydantic",
    "standardwebhooks",
    "httpx",
    "aws-durable-execution-sdk-python",
    "connectrpc",
    "protobuf-py",
    "python-mimeparse",
    "aws-lambda-powertools",
}
# Optional extras (pyproject's optional-dependencies), each imported by one module only, when used.
OPTIONAL_IMPORTS = {Path("layers/runtime/agent_runtime/models/openai_compat.py"): {"openai"}}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_time_imports(tree: ast.AST) -> set[str]:
    """Top-level module names imported outside `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        pending.extend(ast.iter_child_nodes(node))
    return found


@pytest.mark.parametrize("package", sorted(SHIPPED))
def test_shipped_code_imports_only_the_runtime_dependencies(package: str) -> None:
    allowed = set(sys.stdlib_module_names) | set(SHIPPED) | RUNTIME_IMPORTS
    frameworks = SHIPPED["agent_runtime"] / "frameworks"
    offending = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in SHIPPED[package].rglob("*.py")
        for name in _run_time_imports(ast.parse(path.read_text(encoding="utf-8")))
        if name
        not in allowed
        | OPTIONAL_IMPORTS.get(path.relative_to(ROOT), set())
        | (EXTRA_IMPORTS.get(path.name, set()) if path.parent == frameworks else set())
    }
    assert not offending, "\n".join(sorted(offending))


def test_optional_imports_are_extras_imported_only_inside_functions() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for path, names in OPTIONAL_IMPORTS.items():
        for name in names:
            assert name in extras, f"{name} is no extra of pyproject.toml"
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        top_level = {
            alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
        }
        assert not names & top_level, f"{path} imports {names & top_level} at import time"


def test_nothing_shipped_imports_a_framework_adapter() -> None:
    """The adapters (and so the optional extras) are imported only by workflows that use them."""
    frameworks = SHIPPED["agent_runtime"] / "frameworks"
    importers = {
        str(path.relative_to(ROOT))
        for package in SHIPPED.values()
        for path in package.rglob("*.py")
        if not path.is_relative_to(frameworks)
        and "agent_runtime.frameworks" in path.read_text(encoding="utf-8")
    }
    assert not importers


def test_the_layer_holds_the_framework_extras_only_when_asked() -> None:
    """infra/build_layer.sh installs `uv export` without extras unless LAYER_EXTRAS names them."""
    import subprocess

    uv = ROOT / ".venv-tools" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("no .venv-tools/bin/uv (make venv)")

    def exported(*extras: str) -> set[str]:
        command = [str(uv), "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project"]
        command += [f"--extra={extra}" for extra in extras] + ["--format", "requirements-txt"]
        text = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        return {line.split("==")[0].strip() for line in text.splitlines() if "==" in line}

    default = exported()
    assert not default & set(EXTRAS.values())
    for extra, distribution in EXTRAS.items():
        assert distribution in exported(extra)
    script = (ROOT / "infra" / "build_layer.sh").read_text()
    assert "LAYER_EXTRAS" in script


def test_the_runtime_layer_holds_no_local_stack_or_cli() -> None:
    assert not (SHIPPED["agent_runtime"] / "local").exists()
    assert not (SHIPPED["agent_runtime"] / "cli.py").exists()


def test_the_runtime_dependencies_are_what_the_functions_import() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {
        requirement.split(">")[0].split("=")[0].split("[")[0].strip()
        for requirement in project["dependencies"]
    }
    assert names == RUNTIME_REQUIREMENTS
    assert project["scripts"]["agent-runtime"] == "agent_runtime_local.cli:app"


def test_the_state_machine_definition_ships_with_the_manifest() -> None:
    from functions import manifest

    definition = manifest.state_machine_definition()
    assert manifest.STATE_MACHINE_DEFINITION.is_relative_to(ROOT / "functions")
    for variable in manifest.STATE_MACHINE_FUNCTIONS:
        assert "${" + variable + "}" in definition

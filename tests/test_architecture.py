"""The dependency rules of the code, checked on its import statements (docs/architecture.md draws them).

- The engine and the store import no protocol door, no HTTP layer, no local-stack module, nothing
  from functions/ or infra/.
- The store sits below the engine: it imports nothing of the engine.
- Doors (v1, acp, and any later one) never import each other.
- The Lambda layer package (agent_runtime) imports nothing of the local stack, functions/ or infra/.
- functions/manifest.py is plain data: it imports nothing of agent_runtime.
- No import cycles between modules of agent_runtime.
- docs/architecture.md's edge list (which package imports which) is the real one: an import that adds
  or drops an edge fails here until the list says so, so the picture can't drift.

Imports under `if TYPE_CHECKING:` are left out (they never run); imports inside functions count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "runtime"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
EDGES_MARKER = "<!-- edge list: the architecture test compares it with the imports -->"
PACKAGE = "agent_runtime"
DOORS = (
    "agent_runtime.v1",
    "agent_runtime.acp",
    "agent_runtime.a2a",
    "agent_runtime.connect",
    "agent_runtime.mcp",
)
OUTSIDE_THE_LAYER = ("agent_runtime_local", "functions", "infra", "fastapi", "uvicorn", "moto", "typer")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LAYER).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((LAYER / PACKAGE).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, modules: set[str]) -> Iterator[str]:
    """Every module `path` imports at run time (`from a import b` is a.b when a.b is a module)."""

    def walk(node: ast.AST) -> Iterator[ast.AST]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                yield from (n for orelse in child.orelse for n in [orelse, *walk(orelse)])
                continue
            yield child
            yield from walk(child)

    for node in walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                yield candidate if candidate in modules else node.module


def graph() -> dict[str, set[str]]:
    modules = layer_modules()
    names = set(modules)
    return {name: set(imports_of(path, names)) for name, path in modules.items()}


def _within(module: str, packages: tuple[str, ...] | str) -> bool:
    prefixes = (packages,) if isinstance(packages, str) else packages
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(rule: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph().items()
        if _within(module, rule)
        for target in targets
        if _within(target, forbidden)
    )


def test_engine_and_store_import_no_door_http_or_local_stack() -> None:
    forbidden = (*DOORS, "agent_runtime.http", *OUTSIDE_THE_LAYER)
    assert violations(("agent_runtime.engine", "agent_runtime.store"), forbidden) == []


def test_the_store_imports_nothing_of_the_engine() -> None:
    assert violations(("agent_runtime.store",), ("agent_runtime.engine",)) == []


@pytest.mark.parametrize("door", DOORS)
def test_doors_never_import_each_other(door: str) -> None:
    others = tuple(d for d in DOORS if d != door)
    assert violations((door,), others) == []


def test_the_layer_imports_nothing_of_the_local_stack_functions_or_infra() -> None:
    assert violations((PACKAGE,), OUTSIDE_THE_LAYER) == []


def test_the_manifest_is_plain_data() -> None:
    manifest = ROOT / "functions" / "manifest.py"
    imported = set(imports_of(manifest, set()))
    assert not any(_within(m, (PACKAGE, "agent_runtime_local", "infra")) for m in imported), imported


def test_no_import_cycles_in_the_layer() -> None:
    edges = {m: {t for t in ts if t in layer_modules()} for m, ts in graph().items()}
    # A package's __init__ importing its own submodules is how packages re-export; a submodule
    # importing a sibling by the package's name resolves to that sibling, not back to the package.
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_rules_see_real_imports() -> None:
    # The checker itself: it finds the engine's store imports and a door's engine imports.
    edges = graph()
    assert "agent_runtime.store.run_items" in edges["agent_runtime.engine.runs"]
    assert "agent_runtime.engine" in edges["agent_runtime.acp.runs"]
    # The Connect door is a door like the others: it calls the engine, and the door rule covers it.
    assert "agent_runtime.engine" in edges["agent_runtime.connect.services"]
    assert not any(t.startswith("agent_runtime.engine") for t in edges["agent_runtime.store.run_items"])


# -- the edge list of docs/architecture.md ----------------------------------------------------------
def package_of(module: str) -> str | None:
    """The package an edge is drawn between: agent_runtime's first level (`engine`, `v1`, `errors`),
    the engine's own subpackages apart (`engine.webhooks`); None outside the layer."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) == 1:
        return None
    if parts[1] == "engine" and len(parts) > 2 and (LAYER / PACKAGE / "engine" / parts[2]).is_dir():
        return f"engine.{parts[2]}"
    return parts[1]


def handler_imports() -> dict[str, set[str]]:
    """What each handler folder (`functions/api`, ...) and the local stack import of the layer."""
    modules = set(layer_modules())
    folders = {f"functions/{d.name}": d for d in sorted((ROOT / "functions").iterdir()) if d.is_dir()}
    folders["agent_runtime_local"] = ROOT / "local" / "agent_runtime_local"
    return {
        name: {m for path in folder.rglob("*.py") for m in imports_of(path, modules)}
        for name, folder in folders.items()
    }


def package_edges() -> dict[str, set[str]]:
    """The import graph folded to packages: `a -> b` when a module of a imports one of b."""
    edges: dict[str, set[str]] = {}
    for module, targets in graph().items():
        source = package_of(module)
        for target in targets:
            folded = package_of(target)
            if source and folded and folded != source:
                edges.setdefault(source, set()).add(folded)
    for folder, targets in handler_imports().items():
        folded_targets = {package_of(t) for t in targets} - {None}
        if folded_targets:
            edges[folder] = {t for t in folded_targets if t}
    return edges


def documented_edges(markdown: str) -> dict[str, set[str]]:
    """The fenced block after EDGES_MARKER: one `package -> target target ...` line per package."""
    lines = markdown.splitlines()
    start = lines.index(EDGES_MARKER) + 1
    assert lines[start].startswith("```"), f"{EDGES_MARKER} must sit right before the edge list's fence"
    block = lines[start + 1 : lines.index("```", start + 1)]
    edges: dict[str, set[str]] = {}
    for line in block:
        source, arrow, targets = line.partition("->")
        assert arrow, f"not an edge line: {line!r}"
        edges[source.strip()] = set(targets.split())
    return edges


# The list's order, top down as the picture draws it; anything else follows by name.
TIERS = ("functions/", *(d.removeprefix(f"{PACKAGE}.") for d in DOORS), "http", "engine", "store")


def edge_list(edges: dict[str, set[str]]) -> str:
    def order(source: str) -> tuple[int, str]:
        tier = next((i for i, t in enumerate(TIERS) if source.startswith(t)), len(TIERS))
        return (tier if source != "agent_runtime_local" else len(TIERS) + 1, source)

    width = max(len(source) for source in edges)
    return "\n".join(f"{s:<{width}} -> {' '.join(sorted(edges[s]))}" for s in sorted(edges, key=order))


def edge_drift(documented: dict[str, set[str]], real: dict[str, set[str]]) -> list[str]:
    """Each edge imported but not listed, then each listed but not imported."""
    sources = sorted(set(documented) | set(real))
    missing = [
        (s, t, "imported, not in the list")
        for s in sources
        for t in real.get(s, set()) - documented.get(s, set())
    ]
    extra = [
        (s, t, "in the list, not imported")
        for s in sources
        for t in documented.get(s, set()) - real.get(s, set())
    ]
    return [f"{s} -> {t}: {why}" for s, t, why in sorted(missing) + sorted(extra)]


def test_the_documented_edges_are_the_real_imports() -> None:
    real = package_edges()
    drift = edge_drift(documented_edges(ARCHITECTURE.read_text(encoding="utf-8")), real)
    assert drift == [], (
        "docs/architecture.md's edge list differs from the imports; if the new edge is allowed by the "
        "rules there, replace the block with:\n" + edge_list(real) + "\n\n" + "\n".join(drift)
    )


def test_the_edge_check_sees_a_missing_and_an_extra_edge() -> None:
    doc = f"text\n{EDGES_MARKER}\n```\nv1     -> engine http\nengine -> store v1\n```\n"
    documented = documented_edges(doc)
    assert documented == {"v1": {"engine", "http"}, "engine": {"store", "v1"}}
    real = {"v1": {"engine", "http", "errors"}, "engine": {"store"}}
    assert edge_drift(documented, real) == [
        "v1 -> errors: imported, not in the list",
        "engine -> v1: in the list, not imported",
    ]
    assert package_of("agent_runtime.engine.webhooks.sender") == "engine.webhooks"
    assert package_of("agent_runtime.engine.runs") == "engine"
    assert package_of("agent_runtime.store.keys") == "store" and package_of("boto3") is None

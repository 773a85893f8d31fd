"""One `Last-Event-ID` parser for every door (agent_runtime/http/sse.py), and the A2A door's layout:
its two bindings share the operations modules and never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from agent_runtime.errors import BadRequest
from agent_runtime.http.adapter import Request
from agent_runtime.http.sse import last_event_id

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "runtime" / "agent_runtime"


def request(headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> Request:
    return Request("GET", "/x", {}, query or {}, headers or {}, b"", "t", None, "r")


def test_the_header_is_the_cursor_and_none_means_from_the_start() -> None:
    assert last_event_id(request({"last-event-id": "42"})) == 42
    assert last_event_id(request({"last-event-id": "0"})) == 0
    assert last_event_id(request()) is None
    assert last_event_id(request({"last-event-id": ""})) is None


def test_a_query_parameter_stands_in_only_where_a_door_names_one() -> None:
    assert last_event_id(request(query={"after": "7"}), query="after") == 7
    assert last_event_id(request(query={"after": "7"})) is None
    assert last_event_id(request({"last-event-id": "3"}, {"after": "7"}), query="after") == 3


@pytest.mark.parametrize("raw", ["-1", "abc", "²", "1.5", " 1", "1234567890123"])
def test_anything_but_an_event_id_is_a_400_naming_where_it_came_from(raw: str) -> None:
    with pytest.raises(BadRequest) as header:
        last_event_id(request({"last-event-id": raw}))
    assert header.value.errors == [{"field": "Last-Event-ID", "message": raw[:40]}]
    with pytest.raises(BadRequest) as query:
        last_event_id(request(query={"after": raw}), query="after")
    assert query.value.errors == [{"field": "after", "message": raw[:40]}]


def _sources() -> list[Path]:
    return [p for p in [*LAYER.rglob("*.py"), *(ROOT / "functions").rglob("*.py")] if p.name != "sse.py"]


def _is_header(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and str(node.value).lower() == "last-event-id"


def _reads_the_header(node: ast.AST) -> bool:
    """headers["Last-Event-ID"] read, or headers.get("Last-Event-ID"); writing the name (Connect's stream
    trailer tells the client where it stopped) is not reading a client's cursor."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        return _is_header(node.slice)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return any(_is_header(arg) for arg in node.args)
    return False


def test_no_other_module_reads_the_header() -> None:
    readers = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if _reads_the_header(node):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def _a2a_imports(module: str) -> set[str]:
    tree = ast.parse((LAYER / "a2a" / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(("binding", "other"), [("jsonrpc", "rest"), ("rest", "jsonrpc")])
def test_the_a2a_bindings_never_import_each_other(binding: str, other: str) -> None:
    assert f"agent_runtime.a2a.{other}" not in _a2a_imports(binding)

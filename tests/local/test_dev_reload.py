"""The dev loop's loading and reloading of a project's workflow modules, in-process (no stack: the
active runs are given as counts): what a module must declare, what a reload serves while runs of a
version are active, and that a broken reload changes nothing. tests/e2e/test_dev_reload.py runs the
same on `agent-runtime dev`."""

from __future__ import annotations

import os
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_runtime.workflows.registry import Registry
from agent_runtime_local.project import Key, LoadError, Project
from agent_runtime_local.reloader import Reloader

MODULE = """
from pydantic import BaseModel
from agent_runtime.workflows import StepContext, Workflow

class Io(BaseModel):
    code: str = ""

def make(version: str, marker: str) -> Workflow:
    workflow = Workflow("{name}", version, input_model=Io, output_model=Io)

    @workflow.step
    def run(ctx: StepContext) -> dict[str, str]:
        return {{"code": marker}}

    return workflow

WORKFLOWS = [{workflows}]
"""


class Scratch:
    """A throwaway project: a package of a name no other test uses, in tmp_path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.package = f"proj_{uuid.uuid4().hex[:8]}"
        self.name = f"wf_{uuid.uuid4().hex[:8]}"
        (root / self.package).mkdir()
        (root / self.package / "__init__.py").touch()
        self.module = f"{self.package}.agents"
        self.path = root / self.package / "agents.py"

    def write(self, *versions: tuple[str, str], text: str | None = None) -> None:
        listed = ", ".join(f"make({v!r}, {m!r})" for v, m in versions)
        self.path.write_text(text or MODULE.format(name=self.name, workflows=listed), encoding="utf-8")

    def loader(self) -> Project:
        project = Project(self.root, [self.module])
        project.put_on_path()
        return project


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scratch]:
    monkeypatch.setattr(sys, "path", list(sys.path))
    made = Scratch(tmp_path)
    yield made
    for name in [n for n in sys.modules if n.partition(".")[0] == made.package]:
        del sys.modules[name]


def marker(registry: Registry, name: str, version: str) -> str:
    step = registry.get(name, version).steps[0]
    result: dict[str, str] = step.fn(None)  # type: ignore[arg-type]
    return result["code"]


def test_what_a_module_must_declare(proj: Scratch) -> None:
    proj.write(text="from agent_runtime.workflows import Workflow\ndef helper(): ...\nWORKFLOWS = [helper]\n")
    with pytest.raises(LoadError) as raised:
        proj.loader().load()
    assert raised.value.error == "WORKFLOWS[0] is a function, not a Workflow"
    assert "durable_workflow(name, version, handler, ...)" in raised.value.hint

    proj.write(("1.0.0", "a"))
    proj.path.write_text(proj.path.read_text().replace("WORKFLOWS = [", "agent = ("), encoding="utf-8")
    proj.path.write_text(proj.path.read_text().rstrip()[:-1] + ")\n", encoding="utf-8")
    with pytest.raises(LoadError) as raised:
        proj.loader().load(fresh=True)
    assert raised.value.hint == "it defines the workflow agent: list it in WORKFLOWS = [agent]"

    proj.write(text="WORKFLOWS = 'echo'\n")
    with pytest.raises(LoadError, match="WORKFLOWS is a str, not a list"):
        proj.loader().load(fresh=True)


def test_a_module_that_exits_is_a_load_error_not_an_exit(proj: Scratch) -> None:
    proj.write(text="import sys\nsys.exit(3)\n")
    with pytest.raises(LoadError) as raised:
        proj.loader().load()
    assert raised.value.error == "SystemExit: 3"


def test_a_name_and_version_a_built_in_has_is_refused(proj: Scratch) -> None:
    proj.write(text=MODULE.format(name="echo", workflows="make('0.1.0', 'mine')"))
    with pytest.raises(LoadError) as raised:
        proj.loader().load()
    assert "registered twice" in raised.value.error
    assert raised.value.module == proj.module


def reloader(proj: Scratch, active: Counter[Key], said: list[str]) -> tuple[Reloader, Registry]:
    project = proj.loader()
    live = Registry()
    return Reloader(project, live, project.load(), said.append, active=lambda: active), live


def test_a_version_with_active_runs_keeps_its_code_until_they_end(proj: Scratch) -> None:
    proj.write(("1.0.0", "one"))
    active: Counter[Key] = Counter({(proj.name, "1.0.0"): 1})
    said: list[str] = []
    reload, live = reloader(proj, active, said)
    assert marker(live, proj.name, "1.0.0") == "one"
    assert live.get("echo", "0.1.0").name == "echo"  # the built-ins are served too

    proj.write(("1.0.0", "uno"), ("2.0.0", "two"))
    reload.reload()
    assert [w.version for w in live.versions(proj.name)] == ["2.0.0", "1.0.0"]
    assert marker(live, proj.name, "1.0.0") == "one"  # held: a run of it is active
    assert marker(live, proj.name, "2.0.0") == "two"
    assert any(f"kept {proj.name} 1.0.0 as it was" in line for line in said)

    active.clear()  # its run ended: the next check serves the saved code
    said.extend(reload._apply())
    assert marker(live, proj.name, "1.0.0") == "uno"
    assert "now runs the new code" in said[-1]


def test_a_removed_version_stays_while_a_run_of_it_is_active(proj: Scratch) -> None:
    proj.write(("1.0.0", "one"))
    active: Counter[Key] = Counter({(proj.name, "1.0.0"): 2})
    said: list[str] = []
    reload, live = reloader(proj, active, said)
    proj.write(("2.0.0", "two"))
    reload.reload()
    assert [w.version for w in live.versions(proj.name)] == ["2.0.0", "1.0.0"]
    active.clear()
    said.extend(reload._apply())
    assert [w.version for w in live.versions(proj.name)] == ["2.0.0"]
    assert said[-1].endswith("its last active run ended; it is gone")


def test_a_broken_reload_serves_the_last_good_code_and_its_fix_is_seen(proj: Scratch) -> None:
    proj.write(("1.0.0", "one"))
    said: list[str] = []
    reload, live = reloader(proj, Counter(), said)
    proj.path.write_text(proj.path.read_text() + "\nraise RuntimeError('no key')\n", encoding="utf-8")
    assert reload.project.changed(reload._files)
    reload.reload()
    assert reload.broken is not None
    assert (reload.broken.module, reload.broken.error) == (proj.module, "RuntimeError: no key")
    assert marker(live, proj.name, "1.0.0") == "one"
    assert "reload failed" in said[-1] and "still serving" in said[-1]
    assert not reload.project.changed(reload._files)

    # The module whose import failed is not loaded any more; its file is still watched.
    proj.write(("1.0.0", "fixed"))
    assert reload.project.changed(reload._files)
    reload.reload()
    assert reload.broken is None
    assert marker(live, proj.name, "1.0.0") == "fixed"


def test_an_edit_of_the_same_size_in_the_same_second_is_read(
    proj: Scratch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as for a user without PYTHONDONTWRITEBYTECODE
    proj.write(("1.0.0", "one"))
    said: list[str] = []
    reload, live = reloader(proj, Counter(), said)
    stat = proj.path.stat()
    proj.write(("1.0.0", "uno"))  # the bytecode the first import wrote would pass Python's check
    os.utime(proj.path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    reload.reload()
    assert marker(live, proj.name, "1.0.0") == "uno"
    assert len(said) == 1 and said[0].startswith("[green]reloaded[/]")  # nothing was held: no notice


def test_a_new_module_file_is_a_change(proj: Scratch) -> None:
    proj.write(("1.0.0", "one"))
    reload, _ = reloader(proj, Counter(), [])
    (proj.root / proj.package / "notes.txt").write_text("editors leave files like this")
    assert not reload.project.changed(reload._files)
    (proj.root / proj.package / "tools.py").write_text("X = 1\n")
    assert reload.project.changed(reload._files)

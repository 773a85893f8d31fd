"""The user's workflow modules, as `agent-runtime dev` loads them from the current project.

The project directory (the current one) goes first on the path, each module is imported and must list
what it registers in `WORKFLOWS`; anything else is a LoadError naming the module, the exception and a
hint. A reload imports the project's modules afresh (new module objects, never `importlib.reload`,
which rewrites a module in place), so the Workflow objects of the previous load, and the functions and
modules they hold, keep the code they were loaded with.
"""

from __future__ import annotations

import importlib
import importlib.util
import site
import sys
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from agent_runtime.workflows.registry import BUILTIN_MODULES, load_modules
from agent_runtime.workflows.sdk import Workflow

# The runtime's own packages: never the project's, even when the project is this repository.
RUNTIME_PACKAGES = frozenset({"agent_runtime", "agent_runtime_local", "agent_runtime_client", "functions"})
# A file's (mtime in ns, size); a directory's Python files (editors' temporary files don't count); None
# once it is gone.
Signature = tuple[int, int] | frozenset[str] | None
Key = tuple[str, str]  # (name, version)


class LoadError(Exception):
    """A workflow module that can't be imported or registers nothing."""

    def __init__(self, module: str, error: str, hint: str, trace: str = "") -> None:
        super().__init__(f"{module}: {error}")
        self.module = module
        self.error = error
        self.hint = hint
        self.trace = trace

    def report(self) -> str:
        """What a person reads: the module, the exception, where it was raised, the hint."""
        lines = [f"workflow module {self.module} failed to load: {self.error}"]
        if self.trace:
            lines += ["  " + line for line in self.trace.rstrip().splitlines()]
        lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Loaded:
    """One successful load: the project's workflows and where each came from."""

    workflows: tuple[Workflow, ...]
    origins: dict[Key, str]  # (name, version) -> the module whose WORKFLOWS listed it
    files: dict[Path, Signature] = field(default_factory=dict)  # what to watch for the next change

    def versions(self) -> list[Key]:
        return [(w.name, w.version) for w in self.workflows]


class Project:
    def __init__(self, root: Path, modules: Sequence[str]) -> None:
        self.root = root.resolve()
        self.modules = tuple(modules)
        self._tops = {name.partition(".")[0] for name in self.modules}
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        self._installed = [Path(p).resolve() for p in (*prefixes, *site.getsitepackages())]
        self._verdicts: dict[tuple[bool, str], bool] = {}

    def put_on_path(self) -> None:
        """The project directory first on the path, as `python -m` would put it."""
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))

    def load(self, *, fresh: bool = False) -> Loaded:
        """Import the modules (afresh when `fresh`) and collect their WORKFLOWS. Raises LoadError."""
        if fresh:
            self._forget()
        importlib.invalidate_caches()  # so files created since the last load are found
        registry = load_modules(BUILTIN_MODULES)  # a name clash with a built-in is the module's error
        workflows: list[Workflow] = []
        origins: dict[Key, str] = {}
        for name in self.modules:
            for workflow in self._workflows_of(name, self._import(name)):
                try:
                    registry.register(workflow)
                except ValueError as error:
                    raise LoadError(
                        name,
                        str(error),
                        "each name and version is registered once, built-ins included: "
                        "give one of them another version (or name)",
                    ) from None
                workflows.append(workflow)
                origins[(workflow.name, workflow.version)] = name
        return Loaded(tuple(workflows), origins, self.snapshot())

    def _import(self, name: str) -> ModuleType:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as error:
            missing = error.name or ""
            if name == missing or name.startswith(missing + "."):
                hint = (
                    f"{name} is not importable from {self.root}, which is on the path: start "
                    "agent-runtime dev in your project's directory, or add the directory that holds "
                    "the package to PYTHONPATH (e.g. PYTHONPATH=src)"
                )
                raise LoadError(name, _one_line(error), hint) from None
            hint = f"{name} imports {missing}, which is not installed in this environment ({sys.prefix})"
            raise LoadError(name, _one_line(error), hint, _user_trace(error)) from None
        except SyntaxError as error:
            hint = f"fix the syntax at {error.filename}:{error.lineno}"
            raise LoadError(name, _one_line(error), hint, _user_trace(error)) from None
        except (Exception, SystemExit) as error:  # a module calling sys.exit() must not stop the stack
            hint = "the module raised while it was imported: fix the line above"
            raise LoadError(name, _one_line(error), hint, _user_trace(error)) from None

    @staticmethod
    def _workflows_of(name: str, module: ModuleType) -> list[Workflow]:
        declared = getattr(module, "WORKFLOWS", None)
        example = (
            "WORKFLOWS = [...] listing Workflow objects (a Workflow with @wf.step functions, or "
            "durable_workflow(name, version, handler, ...))"
        )
        if declared is None:
            near = [
                attr
                for attr, value in vars(module).items()
                if attr != "WORKFLOWS" and (isinstance(value, Workflow) or _all_workflows(value))
            ]
            lists = [attr for attr in near if _all_workflows(getattr(module, attr))]
            if lists:
                hint = f"it defines {lists[0]} = [...]: the runtime reads WORKFLOWS; rename it"
            elif near:
                hint = f"it defines the workflow {near[0]}: list it in WORKFLOWS = [{near[0]}]"
            else:
                hint = f"define {example}"
            raise LoadError(name, "registers no workflow (it has no WORKFLOWS)", hint)
        if not isinstance(declared, list | tuple):
            raise LoadError(
                name, f"WORKFLOWS is a {type(declared).__name__}, not a list", f"define {example}"
            )
        if not declared:
            raise LoadError(name, "registers no workflow (WORKFLOWS is empty)", f"define {example}")
        for index, value in enumerate(declared):
            if not isinstance(value, Workflow):
                error = f"WORKFLOWS[{index}] is a {type(value).__name__}, not a Workflow"
                raise LoadError(name, error, f"define {example}")
        return list(declared)

    # -- what belongs to the project, and what changed ---------------------------------------------
    def owns(self, name: str, module: ModuleType | None) -> bool:
        """Whether `module` is the project's code (reloaded on change): not the runtime's, not
        installed, and under the project directory or in a configured module's package."""
        top = name.partition(".")[0]
        if top in RUNTIME_PACKAGES or module is None:
            return False
        file = getattr(module, "__file__", None)
        if file is None:  # a namespace package: no code of its own
            return top in self._tops
        key = (top in self._tops, file)
        if key not in self._verdicts:  # thousands of modules are loaded: resolve each file once
            path = Path(file).resolve()
            installed = any(path.is_relative_to(place) for place in self._installed)
            self._verdicts[key] = not installed and (key[0] or path.is_relative_to(self.root))
        return self._verdicts[key]

    def _owned(self) -> dict[str, ModuleType]:
        return {name: module for name, module in list(sys.modules.items()) if self.owns(name, module)}

    def _forget(self) -> None:
        """Drop the project's modules (and their bytecode: a same-size edit within the second the
        bytecode was written would pass its check) so the next import reads the sources again."""
        for name, module in self._owned().items():
            del sys.modules[name]
            file = getattr(module, "__file__", None)
            if file and file.endswith(".py"):
                Path(importlib.util.cache_from_source(file)).unlink(missing_ok=True)

    def snapshot(self, also: Iterable[Path] = ()) -> dict[Path, Signature]:
        """The signatures of the project's loaded source files and of their directories (where a
        new module appears), and of `also` (what was watched before: a module whose import just
        failed is no longer loaded, and its fix is the next change)."""
        paths: set[Path] = set(also)
        for module in self._owned().values():
            file = getattr(module, "__file__", None)
            if file:
                paths |= {Path(file), Path(file).parent}
            paths |= {Path(p) for p in getattr(module, "__path__", [])}
        return {path: signature(path) for path in paths}

    def changed(self, files: dict[Path, Signature]) -> bool:
        return any(signature(path) != seen for path, seen in files.items())


def signature(path: Path) -> Signature:
    try:
        if path.is_dir():
            return frozenset(child.name for child in path.iterdir() if child.suffix == ".py")
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _all_workflows(value: object) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, Workflow) for v in value)


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _user_trace(error: BaseException) -> str:
    """The traceback without the import machinery's frames and ours: where the user's code raised."""
    summary = traceback.TracebackException.from_exception(error)
    machinery = (str(Path(importlib.__file__).parent), __file__)
    summary.stack = traceback.StackSummary.from_list(
        [frame for frame in summary.stack if not frame.filename.startswith(("<frozen", *machinery))]
    )
    return "".join(summary.format())

"""`agent-runtime dev` reloads the project's workflow modules when their files change, in the one
process that holds the local stack, so nothing stored is lost.

A run of version V finishes on the code it started with: while any run of V is active (queued,
running or waiting for a human), the registry keeps serving the Workflow object V was loaded as
before the change, for new runs of V too, and says so; once no run of V is active (checked every few
seconds while some version is held), V gets the new code. A new version registers at once: bumping
the version is how to run new code next to runs of the old. A reload that fails (the module doesn't
import or registers nothing) changes nothing: the last good workflows keep serving, and `broken`
says why until a change loads (reload_guard.py answers the workflow endpoints with it).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from agent_runtime.workflows.registry import BUILTIN_MODULES, Registry, load_modules
from agent_runtime.workflows.sdk import Workflow
from agent_runtime_local.project import Key, Loaded, LoadError, Project

ActiveRuns = Callable[[], Counter[Key]]


def active_runs() -> Counter[Key]:
    """(workflow name, version) -> how many runs of it are active, across tenants: the reconciler's
    sparse sweep index holds exactly the active runs."""
    from agent_runtime.engine.model import ACTIVE_STATUSES
    from agent_runtime.store import Store, keys
    from agent_runtime.store.errors import ItemNotFound

    store = Store.default()
    counts: Counter[Key] = Counter()
    for shard in keys.SWEEP_SHARDS:
        for run_id in store.runs.active_ids(shard):
            try:
                record = store.runs.get(run_id)
            except ItemNotFound:  # deleted since the index was read
                continue
            if record.status in ACTIVE_STATUSES:
                counts[(record.workflow_name, record.workflow_version)] += 1
    return counts


class Reloader:
    def __init__(
        self,
        project: Project,
        live: Registry,
        loaded: Loaded,
        say: Callable[[str], None],
        *,
        active: ActiveRuns = active_runs,
        poll_seconds: float = 0.5,
        settle_seconds: float = 0.2,
        recheck_seconds: float = 2.0,
    ) -> None:
        self.project = project
        self.live = live
        self.say = say
        self.broken: LoadError | None = None
        self._active = active
        self._poll = poll_seconds
        self._settle = settle_seconds
        self._recheck = recheck_seconds
        self._builtins = load_modules(BUILTIN_MODULES).all()
        self._loaded = loaded  # the last good load: what new runs should get
        self._files = loaded.files
        self._serving: dict[Key, Workflow] = {}  # what the registry serves of the project's
        self._loaded_at = _clock()
        self._reported: set[Key] = set()  # held versions already announced: a recheck won't repeat them
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._apply()

    @property
    def project_names(self) -> set[str]:
        """The names of the project's workflows the stack serves."""
        return {name for name, _ in self._serving}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="agent-runtime-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _watch(self) -> None:
        try:
            self._active()  # the first read makes the store's clients (seconds): not on the first save
        except Exception as error:
            self.say(f"[red]reading the active runs failed:[/] {type(error).__name__}: {error}")
        last_check = time.monotonic()
        while not self._stop.wait(self._poll):
            try:
                if self.project.changed(self._files):
                    self._stop.wait(self._settle)  # an editor's save can be several writes
                    self.reload()
                elif self._held() and time.monotonic() - last_check >= self._recheck:
                    last_check = time.monotonic()
                    with self._lock:
                        for notice in self._apply():
                            self.say(notice)
            except Exception as error:  # the watcher must outlive a failed store read
                self.say(f"[red]reload check failed:[/] {type(error).__name__}: {error}")

    def reload(self) -> None:
        """Import the project afresh and serve it, holding the versions that have active runs."""
        with self._lock:
            began = time.perf_counter()
            try:
                loaded = self.project.load(fresh=True)
            except LoadError as error:
                self._files = self.project.snapshot(also=self._files)
                self.broken = error
                self.say(
                    f"[bold red]reload failed[/] ({_clock()}): {_escape(error.report())}\n"
                    f"  still serving the workflows loaded at {self._loaded_at}; the workflow "
                    "endpoints answer 503 until a change loads"
                )
                return
            self._files = self.project.snapshot(also=self._files)
            before = set(self._loaded.versions())
            self._loaded, self.broken, self._loaded_at = loaded, None, _clock()
            added = [f"{n} {v}" for n, v in loaded.versions() if (n, v) not in before]
            removed = [f"{n} {v}" for n, v in sorted(before - set(loaded.versions()))]
            line = f"[green]reloaded[/] {', '.join(self.project.modules)} ({self._loaded_at}): "
            line += ", ".join(f"{w.name} {w.version}" for w in loaded.workflows)
            if added:
                line += f"  [green]new: {', '.join(added)}[/]"
            if removed:
                line += f"  [yellow]gone: {', '.join(removed)}[/]"
            notices = self._apply()
            self.say(f"{line}  (in {time.perf_counter() - began:.2f} s)")
            for notice in notices:
                self.say(notice)

    def _held(self) -> bool:
        wanted = {(w.name, w.version): w for w in self._loaded.workflows}
        return any(wanted.get(key) is not workflow for key, workflow in self._serving.items())

    def _apply(self) -> list[str]:
        """Serve the last good load, except the versions whose active runs started on other code.
        Returns what changed about held versions, for the terminal."""
        notices: list[str] = []
        wanted = {(w.name, w.version): w for w in self._loaded.workflows}
        serving = dict(wanted)
        stale = [key for key, workflow in self._serving.items() if wanted.get(key) is not workflow]
        counts = self._active() if stale else Counter()
        for key in stale:
            name, version = key
            if counts[key]:
                serving[key] = self._serving[key]
                if key not in self._reported:
                    runs = f"{counts[key]} active runs finish" if counts[key] > 1 else "active run finishes"
                    notices.append(
                        f"  [yellow]kept {name} {version} as it was:[/] its {runs} on the code it "
                        f"started with, and new runs of {version} get that code too until no run of it "
                        "is active. Give changed code a new version to run it now."
                    )
            elif key in self._reported:  # held until now
                notices.append(
                    f"  {name} {version}: no run of the code before is active; it now runs the new code"
                    if key in wanted
                    else f"  {name} {version}: its last active run ended; it is gone"
                )
        self._reported = {key for key in stale if counts[key]}
        self._serving = serving
        self.live.replace(Registry([*self._builtins, *serving.values()]))
        return notices


def _clock() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)

"""Named groups of replacements of moto's code (moto_dynamodb.py, moto_stepfunctions.py), kept so a
test or a benchmark can put moto's own code back for a while (`moto_s_own`) and compare the two."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Replacement:
    owner: Any  # a class or module
    name: str
    original: Any  # as found in owner.__dict__ (a classmethod stays one)
    replacement: Any


# group name -> what it replaces; filled by each module's install(), in install order.
PATCHES: dict[str, list[Replacement]] = {}
_installing = threading.Lock()
_installed: set[str] = set()


def install_once(module: str, steps: Sequence[Callable[[], None]]) -> None:
    """Run a module's replacement steps, the first time it asks."""
    with _installing:
        if module in _installed:
            return
        _installed.add(module)
        for step in steps:
            step()


def expect_signature(function: Any, parameters: list[str]) -> None:
    """Refuse to patch a moto function whose parameters are no longer the ones its patch was written for."""
    import inspect

    if list(inspect.signature(function).parameters) != parameters:
        raise RuntimeError(
            f"moto's {function.__qualname__}({', '.join(parameters)}) changed; the local stack's patch of it "
            f"({function.__module__} in local/agent_runtime_local/moto_*.py) needs checking against the "
            "pinned moto version."
        )


def replace(group: str, owner: Any, name: str, replacement: Any) -> None:
    PATCHES.setdefault(group, []).append(Replacement(owner, name, vars(owner)[name], replacement))
    setattr(owner, name, replacement)


@contextlib.contextmanager
def moto_s_own(*groups: str) -> Iterator[None]:
    """moto's own code in place of the named groups (all when none is named) while the block runs, for
    tests and benchmarks that compare the two (other threads calling moto meanwhile get either, which
    answer alike). Where groups replaced one attribute in turn, it gets the last replacement of a group
    not named, else moto's."""
    chosen = set(groups or PATCHES)
    chains: dict[tuple[int, str], list[tuple[str, Replacement]]] = {}
    for group, replacements in PATCHES.items():
        for r in replacements:
            chains.setdefault((id(r.owner), r.name), []).append((group, r))
    swapped = []
    for chain in chains.values():
        if not any(group in chosen for group, _ in chain):
            continue
        kept = [r for group, r in chain if group not in chosen]
        first = chain[0][1]
        swapped.append((first.owner, first.name, vars(first.owner)[first.name]))
        setattr(first.owner, first.name, kept[-1].replacement if kept else first.original)
    try:
        yield
    finally:
        for owner, name, value in reversed(swapped):
            setattr(owner, name, value)

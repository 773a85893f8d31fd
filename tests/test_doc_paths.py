"""Every repository path the docs name exists (issue 22: docs kept naming files that had moved).

A path is a word with a slash whose first part is a top-level folder of the repository (`functions/`,
`tests/` ...) or a package of the runtime (`engine/runs.py`, which docs/architecture.md writes for
`layers/runtime/agent_runtime/engine/runs.py`); it exists from the repository's root, the runtime
package or the local stack's package. URLs and `<placeholder>/...` paths are not paths.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    "README.md",
    "CONTRIBUTING.md",
    *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")),
]
BASES = [ROOT, ROOT / "layers" / "runtime" / "agent_runtime", ROOT / "local" / "agent_runtime_local"]
FIRST_PARTS = {
    *("functions", "layers", "local", "infra", "tests", "bench", "docs", "openapi", "proto", "contracts"),
    *("console", "sdk", "events", "engine", "store", "http", "v1", "acp", "a2a", "connect", "mcp"),
    *("workflows", "models", "frameworks"),
}
EXTENSIONS = "py|md|json|yaml|yml|sh|js|ts|proto|toml|txt|html|css|png|svg"
PATH = re.compile(rf"(?<![\w./@<>:-])((?:[\w-]+/)+(?:[\w.-]+\.(?:{EXTENSIONS}))?)(?=[\s`),.;:\]|'\"]|$)")
# Paths the docs name that are not files of this repository, and why.
NOT_HERE = {
    "models/checkpoint.py": "a file openapi-python-client generated (decision 30)",
    "functions/openapi/": "rendered into the code asset at build time (decision 30)",
}


def named_paths(markdown: str) -> list[tuple[int, str]]:
    """(line, path) for each repository path a Markdown text names."""
    return [
        (number, match.group(1))
        for number, line in enumerate(markdown.splitlines(), 1)
        for match in PATH.finditer(line)
        if match.group(1).split("/")[0] in FIRST_PARTS
    ]


def test_every_path_the_docs_name_exists() -> None:
    missing = [
        f"{doc}:{line}: {path}"
        for doc in DOCS
        for line, path in named_paths((ROOT / doc).read_text(encoding="utf-8"))
        if path not in NOT_HERE and not any((base / path).exists() for base in BASES)
    ]
    assert missing == [], "the docs name paths that don't exist (moved? update the doc):\n" + "\n".join(
        missing
    )


def test_the_path_finder_reads_paths_and_leaves_urls() -> None:
    text = (
        "See `engine/runs.py` and tests/test_architecture.py, then [x](docs/cost.md).\n"
        "Not https://example.com/engine/runs.py, `<ApiUrl>console/index.html` or run/the/thing.\n"
        "The folder `functions/api/`, and functions/nothing_here.py.\n"
    )
    assert named_paths(text) == [
        (1, "engine/runs.py"),
        (1, "tests/test_architecture.py"),
        (1, "docs/cost.md"),
        (3, "functions/api/"),
        (3, "functions/nothing_here.py"),
    ]
    assert not any((base / "functions/nothing_here.py").exists() for base in BASES)

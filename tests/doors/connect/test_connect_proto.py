"""The Connect door's generated code (layers/runtime/agent_runtime/connect/gen/) is what `make proto`
makes of proto/agent_runtime.proto today: regenerated into a temporary directory with the pinned buf
and plugins, it must equal the committed files byte for byte (docs/decisions.md 71)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GEN = Path("layers/runtime/agent_runtime/connect/gen")
BUF = ROOT / ".venv" / "bin" / "buf"


def generated(out: Path) -> dict[str, str]:
    subprocess.run([str(BUF), "generate", "--output", str(out)], cwd=ROOT, check=True, timeout=120)
    return {p.name: p.read_text() for p in sorted((out / GEN).glob("*.py"))}


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    fresh = generated(tmp_path)
    committed = {p.name: p.read_text() for p in sorted((ROOT / GEN).glob("*.py")) if p.name != "__init__.py"}
    assert sorted(fresh) == sorted(committed) == ["agent_runtime_connect.py", "agent_runtime_pb.py"]
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"run `make proto`: {stale} differ from proto/agent_runtime.proto"


def test_the_check_sees_a_change(tmp_path: Path) -> None:
    # The comparison is not vacuous: a proto with one more field generates other code.
    proto = (ROOT / "proto" / "agent_runtime.proto").read_text()
    changed = tmp_path / "repo"
    (changed / "proto").mkdir(parents=True)
    (changed / "proto" / "agent_runtime.proto").write_text(
        proto.replace("message ListWorkflowsRequest {}", "message ListWorkflowsRequest {\n  string q = 1;\n}")
    )
    for name in ("buf.yaml", "buf.gen.yaml"):
        (changed / name).write_text((ROOT / name).read_text().replace(".venv/bin/", f"{ROOT}/.venv/bin/"))
    subprocess.run([str(BUF), "generate"], cwd=changed, check=True, timeout=120)
    fresh = (changed / GEN / "agent_runtime_pb.py").read_text()
    assert fresh != (ROOT / GEN / "agent_runtime_pb.py").read_text()

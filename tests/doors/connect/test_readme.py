"""The README's Connect section runs as written: its Python client example, and its curl stream request
with the shell's frame() (against the test gateway instead of :9000)."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()
SECTION = README.split("## Connect (", 1)[1].split("\n## ", 1)[0]


def test_the_python_example_runs(base_url: str, api_key: str) -> None:
    (example,) = re.findall(r"```python\n(.*?)```", SECTION, re.S)
    code = example.replace("http://127.0.0.1:9000", base_url).replace("<key>", api_key)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    lines = printed.getvalue().splitlines()
    assert lines[0] == "1 run.created" and lines[-1].endswith("run.succeeded"), lines


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl")
def test_the_curl_stream_request_frames_its_message(base_url: str, api_key: str) -> None:
    created = httpx.post(
        f"{base_url}/agent_runtime.v1.RunService/CreateRun",
        json={"workflow": {"name": "echo"}, "input": {"message": "hi"}},
        headers={"Authorization": f"Bearer {api_key}"},
    ).json()["run"]
    frame = next(line for line in SECTION.splitlines() if line.startswith("frame() {"))
    script = (
        f"{frame}\n"
        f'frame \'{{"runId": "{created["runId"]}"}}\''
        f" | curl -sS {base_url}/agent_runtime.v1.RunService/StreamEvents"
        f" -H 'Authorization: Bearer {api_key}' -H 'Content-Type: application/connect+json' --data-binary @-"
    )
    out = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60, check=True).stdout
    assert b'"type":"run.created"' in out and b'"last-event-id"' in out, out

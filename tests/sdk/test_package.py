"""The SDK is a distribution of its own, ready to publish: it builds (sdist and wheel) from
sdk/python alone, named agent-runtime-client at the version the package reports, with its typed
marker, only its runtime dependencies, and a README that makes sense off this repository."""

from __future__ import annotations

import email
import subprocess
import zipfile
from pathlib import Path

import agent_runtime_client

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".venv-tools" / "bin" / "uv"  # what `make` installs first


def test_the_sdk_builds_a_wheel_that_says_what_it_is(tmp_path: Path) -> None:
    built = subprocess.run(
        [str(UV), "build", str(ROOT / "sdk" / "python"), "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    version = agent_runtime_client.__version__
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name == f"agent_runtime_client-{version}-py3-none-any.whl"
    assert (tmp_path / f"agent_runtime_client-{version}.tar.gz").is_file()
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = email.message_from_bytes(
            archive.read(f"agent_runtime_client-{version}.dist-info/METADATA")
        )
    assert "agent_runtime_client/py.typed" in names
    assert {n.split("/")[0] for n in names} == {
        "agent_runtime_client",
        f"agent_runtime_client-{version}.dist-info",
    }
    assert (metadata["Name"], metadata["Version"]) == ("agent-runtime-client", version)
    required = {
        r.split(";")[0].split("<")[0].split(">")[0].strip() for r in metadata.get_all("Requires-Dist")
    }
    assert required == {"httpx", "httpx-sse", "pydantic", "typing-extensions", "standardwebhooks"}
    readme = metadata.get_payload()
    assert "pip install agent-runtime-client" in readme
    assert "](../" not in readme and "](./" not in readme  # no links that only work in this repository

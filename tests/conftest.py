"""Shared fixtures: one local cloud (moto executing the real state machine) per test session.

Tests isolate themselves by tenant: every test gets its own tenant id, so listings and lookups never
see another test's runs (which is also what tenancy must guarantee).
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from agent_runtime import aws
from agent_runtime.config import settings
from agent_runtime_local import permissions
from agent_runtime_local.cloud import LocalCloud, Resources
from tests.apigw import Reply, call

if TYPE_CHECKING:
    import httpx

# Garbage collection: a test process builds a large heap that lives all session (moto, botocore's
# models, ~1,650 collected tests, the stack's tables), and CPython's default thresholds (700, 10, 10)
# run ~2,300 collections while collecting alone, full ones walking all of it: ~30% of collection's CPU,
# ~15% of a stack test's. Collections are fewer here, and what exists once the tests are collected is
# frozen (gc.freeze) out of every later one; cyclic garbage is still collected, a little later
# (bench/reports/tests-cpu.md has the figures).
gc.set_threshold(10_000, 10, 10)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()


TEST_ENVIRONMENT = {
    "AGENT_RUNTIME_WORKFLOW_MODULES": ",".join(
        ("tests.workflows.samples", "tests.workflows.durable.samples", "tests.workflows.frameworks.samples")
    ),
    "SSE_WINDOW_SECONDS": "3",
    "SSE_POLL_SECONDS": "0.05",
    "SSE_RETRY_MS": "200",
    # Webhooks: sub-second backoff (moto's queue delays are whole seconds), a short retry window and
    # read timeout, so retries, timeouts and dead letters happen within a test.
    "WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
    "WEBHOOK_BACKOFF_CAP_SECONDS": "1",
    "WEBHOOK_RETRY_WINDOW_SECONDS": "8",
    "WEBHOOK_READ_TIMEOUT_SECONDS": "1",
    "WEBHOOK_CONNECT_TIMEOUT_SECONDS": "1",
    # An endpoint's circuit opens for 2 s (not a minute) after 10 failures in a row.
    "WEBHOOK_BREAKER_SECONDS": "2",
    # The session's scheduled sweeps leave runs alone: tests that leave a run without an execution on
    # purpose sweep when they choose (tests/engine/test_reconciler.py, tests/faults/).
    "RECONCILE_GRACE_SECONDS": "3600",
}


@pytest.fixture(scope="session")
def cloud() -> Iterator[Resources]:
    local = LocalCloud(environment=TEST_ENVIRONMENT)
    resources = local.start()
    yield resources
    local.stop()
    # Every AWS call a function made in the whole session was within its manifest grants (a refusal
    # inside a worker may have been retried or swallowed; it would still fail a deploy).
    assert not permissions.denied, f"calls outside the functions' grants: {permissions.denied}"


@pytest.fixture
def tenant(cloud: Resources) -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


class Api:
    """Calls handlers with API Gateway proxy events as one tenant."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    def __call__(self, method: str, path: str, **kwargs: Any) -> Reply:
        return call(method, path, tenant=self.tenant, **kwargs)

    def create(
        self,
        workflow: str,
        input: Any,
        version: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Reply:
        body = {
            "workflow": {"name": workflow, **({"version": version} if version else {})},
            "input": input,
            **extra,
        }
        return self("POST", "/v1/runs", body=body, headers=headers)

    def wait(self, run_id: str, statuses: set[str] | None = None, timeout: float = 20.0) -> dict[str, Any]:
        """Poll until the run reaches one of `statuses` (default: any terminal status)."""
        wanted = statuses or {"succeeded", "failed", "cancelled", "timed_out"}
        deadline = time.monotonic() + timeout
        while True:
            run: dict[str, Any] = self("GET", f"/v1/runs/{run_id}").json()
            if run["status"] in wanted:
                return run
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"run {run_id} is {run['status']} after {timeout}s, wanted {wanted}\n"
                    + where_it_stopped(run_id, self.events(run_id))
                )
            time.sleep(0.05)

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """Every event of the run so far, following next_cursor (a page holds what fits a response)."""
        events: list[dict[str, Any]] = []
        while True:
            after = str(events[-1]["id"]) if events else "0"
            page = self("GET", f"/v1/runs/{run_id}/events", query={"limit": "500", "after": after}).json()
            events += page["data"]
            if page["next_cursor"] is None or not page["data"]:
                return events

    def deliveries(self, run_id: str) -> list[dict[str, Any]]:
        """The run's webhook delivery log."""
        reply = self("GET", f"/v1/runs/{run_id}/deliveries")
        assert reply.status == 200
        data: list[dict[str, Any]] = reply.json()["data"]
        return data


@pytest.fixture
def api(tenant: str) -> Api:
    return Api(tenant)


@pytest.fixture(scope="session")
def base_url(cloud: Resources) -> Iterator[str]:
    """The local stack's HTTP gateway served by uvicorn on a free 127.0.0.1 port, for real HTTP tests."""
    import uvicorn

    from agent_runtime_local.gateway import create_app
    from tests.e2e.conftest import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("local gateway did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def api_key(cloud: Resources, tenant: str) -> str:
    from agent_runtime.engine import Engine

    return Engine.default().api_keys.create(tenant)


@pytest.fixture
def http(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as this test's own tenant."""
    import httpx

    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def other_api(cloud: Resources) -> Api:
    return Api(f"t-{uuid.uuid4().hex[:12]}")


def where_it_stopped(run_id: str, events: list[dict[str, Any]]) -> str:
    """What a stuck run's own records say: its last events and its execution's last history entries."""
    lines = [f"  event {e['id']} {e['type']} {e['data']}" for e in events[-6:]]
    try:
        sfn = aws.stepfunctions()
        arn = settings().state_machine_arn.replace(":stateMachine:", ":execution:") + f":{run_id}"
        status = sfn.describe_execution(executionArn=arn)["status"]
        history = sfn.get_execution_history(executionArn=arn)["events"]  # moto ignores reverseOrder
        lines.append(f"  execution {status}")
        lines += [f"  sfn {h['id']} {h['type']}" for h in sorted(history, key=lambda h: h["id"])[-6:]]
    except Exception as error:  # a diagnostic must never hide the assertion it explains
        lines.append(f"  execution: {error!r}")
    return "\n".join(lines + _project_stacks())


def _project_stacks() -> list[str]:
    """Where each thread running this project's code is, innermost frames last (a stuck worker shows
    what it waits on)."""
    lines = []
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        stack = traceback.extract_stack(frame)
        if not any("agent_runtime" in f.filename or "/functions/" in f.filename for f in stack):
            continue
        lines.append(f"  thread {names.get(ident, ident)}:")
        lines += [f"    {f.filename}:{f.lineno} {f.name}" for f in stack[-12:]]
    return lines


class SeenHere(list[Any]):
    """What a test's hook saw, from the thread that made this list only: the session's stack answers
    other threads' calls meanwhile (its pollers, runs that earlier tests left going), and they reach the
    same hooked code and clients."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def append(self, value: Any) -> None:
        if threading.get_ident() == self.thread:
            super().append(value)


def new_state_machine(prefix: str, definition: dict[str, Any]) -> tuple[Any, str]:
    """A Step Functions client of the local stack's moto and a new state machine of the definition."""
    import json

    import boto3

    from agent_runtime_local.cloud import ACCOUNT, REGION

    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name=f"{prefix}-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/agent-runtime-local",
    )["stateMachineArn"]
    return sfn, str(arn)


def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


# -- tiers -----------------------------------------------------------------------------------------
# Each test is marked with the tiers it needs, from the fixtures it uses or the folder it lives in, so
# `make test-fast` (-m "not (stack or e2e or infra or browser)") selects what needs none of them
# without anyone marking tests by hand (CONTRIBUTING.md, "Test tiers").
TIER_FIXTURES = {
    "stack": {"cloud"},
    "e2e": {"base_url"},
    "infra": {"synth", "custom_synth"},
    "browser": {"chromium"},
}
# Folders whose tests need a tier without a fixture saying so: they start `agent-runtime dev` (or a
# whole README's worth of it) themselves, or drive Chromium, or synthesize the CDK app.
TIER_FOLDERS = {
    "e2e": ("e2e", "docs", "console"),
    "infra": ("infra",),
    "browser": ("console",),
}
TESTS = Path(__file__).parent


def tiers_of(fixtures: set[str], folder: str) -> set[str]:
    """The tiers a test with these fixtures (the whole closure) in this top-level folder needs."""
    tiers = {tier for tier, names in TIER_FIXTURES.items() if fixtures & names}
    return tiers | {tier for tier, folders in TIER_FOLDERS.items() if folder in folders}


# `make test` runs under pytest-xdist with --dist loadgroup: a folder's tests named here run on one
# worker, so the infra tier synthesizes the CDK app once (its session fixtures) and the README's blocks
# run in their order against one stack, not one per worker.
# A tier a test declares itself counts too: tests/console/test_cloud.py (marked infra) synthesizes a
# CDK stack of its own, which on the infra worker needs no second aws_cdk import and Node kernel.
XDIST_GROUPS = {"infra": "infra", "docs": "readme"}  # a tier's or a top-level folder's name -> group


def xdist_group_of(tiers: set[str], folder: str) -> str | None:
    """The group of a test with these tiers (given or declared) in this top-level folder, if any."""
    # A group runs first on its worker (xdist schedules the biggest first), so one that started the
    # in-process stack would leave later tests/engine tests on that worker behind it: those stay out.
    if "stack" in tiers:
        return None
    return next((XDIST_GROUPS[name] for name in sorted(tiers | {folder}) if name in XDIST_GROUPS), None)


def pytest_itemcollected(item: pytest.Item) -> None:
    """The xdist group, marked as each test is collected: xdist reads the marks in its own
    pytest_collection_modifyitems, which runs before this file's."""
    folder, tiers = _folder_and_tiers(item)
    declared = {mark.name for mark in item.iter_markers()} & set(TIER_FIXTURES)
    group = xdist_group_of(tiers | declared, folder)
    if group is not None:
        item.add_marker(pytest.mark.xdist_group(group))


def _folder_and_tiers(item: pytest.Item) -> tuple[str, set[str]]:
    relative = item.path.relative_to(TESTS) if item.path.is_relative_to(TESTS) else None
    folder = relative.parts[0] if relative is not None and len(relative.parts) > 1 else ""
    return folder, tiers_of(set(getattr(item, "fixturenames", ())), folder)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiered: set[str] = set()
    for item in items:
        _, tiers = _folder_and_tiers(item)
        for tier in sorted(tiers):
            item.add_marker(getattr(pytest.mark, tier))
        # A tier a test declares itself counts as much as one its fixtures or folder give it.
        declared = {mark.name for mark in item.iter_markers()} & {"stack", "e2e", "infra", "browser"}
        if tiers or declared:
            tiered.add(item.nodeid)
    # Tests that need no tier run first (in their order): they fail fastest, and tests/engine's moto
    # mocks must be done before the session's local stack starts in this process (its moto is the same
    # in-process backends, and its workers read the same settings).
    items.sort(key=lambda item: item.nodeid in tiered)

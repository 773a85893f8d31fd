"""What a run costs, pinned as counts (bench/cost.py prices them): the AWS calls of an echo and an
approval run, and the run's own `usage` checked against what was observed, so it can't drift."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from agent_runtime import aws
from agent_runtime.config import settings
from agent_runtime_local import permissions
from agent_runtime_local.cloud import Resources
from bench.cost import Tally, counting, transitions
from tests.conftest import Api, eventually

WORKERS = {"step_worker", "checkpoint_worker"}


@pytest.fixture
def tally(cloud: Resources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tally]:
    # A step's events are committed with its end, or after EVENT_FLUSH_SECONDS (0.1 s) when the step
    # runs longer: on a loaded machine an echo step can, which adds a commit. The counts pin the design,
    # not the machine's speed, so the timed flush is put out of reach here.
    monkeypatch.setenv("EVENT_FLUSH_SECONDS", "60")
    settings.cache_clear()
    tally = Tally()
    clients = [aws.dynamodb(), aws.s3(), aws.stepfunctions(), aws.sqs()]
    for client in clients:
        tally.observe(client)
    as_function = permissions.as_function
    monkeypatch.setattr(
        permissions, "as_function", lambda spec, handler: as_function(spec, tally.wrap(spec, handler))
    )
    yield tally
    for client in clients:
        client.meta.events.unregister("before-parameter-build", tally._call)
    monkeypatch.undo()
    settings.cache_clear()


def run_calls(tally: Tally, *functions: str) -> dict[str, int]:
    calls: Counter[str] = Counter()
    for (function, service, operation), n in tally.calls.items():
        if function in functions:
            calls[f"{function} {service}:{operation}"] += n
    return dict(calls)


def transactional_write_units(tally: Tally) -> int:
    return tally.write_units - sum(  # the checkpoint worker's one plain UpdateItem: 1 unit
        n for (f, s, op), n in tally.calls.items() if op == "UpdateItem" and f in WORKERS
    )


def test_an_echo_run_makes_exactly_these_calls_and_its_usage_says_so(api: Api, tally: Tally) -> None:
    with counting(tally):
        run_id = api.create("echo", {"hello": "world"}, version="0.1.0").json()["run_id"]
        run = api.wait(run_id)
    assert run_calls(tally, "create_run", *WORKERS) == {
        "create_run dynamodb:TransactWriteItems": 1,
        "create_run stepfunctions:StartExecution": 1,
        # Its first look at the run; each of its commits starts from the run the last one left: the
        # run's start with its one step's start, then the step's end with the run's.
        "step_worker dynamodb:GetItem": 1,
        "step_worker dynamodb:TransactWriteItems": 2,
    }
    usage = run["usage"]
    assert usage["transitions"] == transitions(run_id) == 3
    assert usage["express_executions"] == 1  # echo declares a bound: its run goes on Express
    assert usage["lambda_invocations"] == sum(tally.invocations[f] for f in WORKERS) == 1
    assert usage["events"] == len(api.events(run_id)) == 5
    assert usage["write_units"] == transactional_write_units(tally) == 12
    assert usage["read_units"] == 0  # no commit read the run (the one GetItem, the first look, isn't counted)
    assert usage["lambda_gb_seconds"] > 0
    assert 0 < run["estimated_cost_usd"] < 0.001


def test_an_approval_run_makes_exactly_these_calls_and_its_usage_says_so(api: Api, tally: Tally) -> None:
    with counting(tally):
        body = {"title": "Q4", "points": ["ship"], "reviewer": "ana"}
        run_id = api.create("approval", body).json()["run_id"]
        api.wait(run_id, {"waiting_for_input"})
        # The AwaitHuman task stores the task token just after the run parks: answered before that, the
        # answer finds no token and AwaitHuman resumes the run itself (no SendTaskSuccess to count).
        eventually(lambda: ("checkpoint_worker", "dynamodb", "UpdateItem") in tally.calls)
        checkpoint = api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"][0]["checkpoint_id"]
        answered = api("POST", f"/v1/runs/{run_id}/checkpoints/{checkpoint}/approve", body={"comment": "ok"})
        assert answered.status == 200
        run = api.wait(run_id)
    assert run["status"] == "succeeded"
    assert run_calls(tally, "create_run", "approve_checkpoint", *WORKERS) == {
        # The run, the checkpoint, the checkpoint again after the answer (its task token, stored apart).
        "approve_checkpoint dynamodb:GetItem": 3,
        "approve_checkpoint dynamodb:TransactWriteItems": 1,
        "approve_checkpoint stepfunctions:SendTaskSuccess": 1,
        "checkpoint_worker dynamodb:GetItem": 1,
        "checkpoint_worker dynamodb:UpdateItem": 1,
        "create_run dynamodb:TransactWriteItems": 1,
        "create_run stepfunctions:StartExecution": 1,
        # Per invocation its first look at the run, and per checkpoint raised a look for it: 2 x 2.
        "step_worker dynamodb:GetItem": 4,
        "step_worker dynamodb:TransactWriteItems": 9,
        "step_worker s3:PutObject": 1,
    }
    usage: dict[str, Any] = run["usage"]
    assert usage["transitions"] == transitions(run_id) == 6
    assert usage["express_executions"] == 0  # it waits for a human: Standard
    assert usage["lambda_invocations"] == sum(tally.invocations[f] for f in WORKERS) == 3
    assert usage["events"] == len(api.events(run_id)) == 13
    assert usage["read_units"] == 0  # each commit started from the run its caller held
    # The run's commits size its updates by the whole run item; the observer sees their values only.
    assert usage["write_units"] >= transactional_write_units(tally) >= 2 * 14

"""The test kit has the stack's semantics: the same scenarios, run in-process and on the local stack
(moto executing the real state machine), end the same way with the same events in the same order."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from agent_runtime.testing import Answer, WorkflowTest, approve, reject, submit
from agent_runtime.workflows.registry import registry
from tests.conftest import Api

# Events both sides must agree on, in order (the stack adds its own, e.g. run.created's details).
COMPARED = (
    "step.started",
    "step.succeeded",
    "step.retrying",
    "checkpoint.created",
    "wait.started",
    "child.started",
    "agent.decision",
    "artifact.created",
    "run.succeeded",
    "run.failed",
)


@dataclass
class Scenario:
    workflow: str
    input: dict[str, Any]
    answers: dict[str, Answer] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)


def _key() -> str:
    return uuid.uuid4().hex[:8]


SCENARIOS = {
    "loop-approved": Scenario("d_loop", {"key": "p1", "steps": 4, "ask_at": 2}, {"review": approve("ok")}),
    "loop-rejected": Scenario("d_loop", {"key": "p2", "steps": 4, "ask_at": 1}, {"review": reject("no")}),
    "fanout": Scenario("d_fanout", {"key": "p3", "items": [3, 1, 2]}, {"note": submit({"n": 1})}),
    "triage": Scenario(
        "triage_agent",
        {"tickets": ["the site is down", "password reset", "data loss in export"], "reviewer": "ana"},
        {"escalate": approve("page them")},
        {"cool_down_seconds": 1},
    ),
}


def _compared(types: list[str]) -> list[str]:
    return [t for t in types if t in COMPARED]


def _milestones(types: list[str]) -> list[str]:
    return [t for t in _compared(types) if t not in ("step.started", "step.succeeded", "artifact.created")]


def _on_stack(api: Api, scenario: Scenario) -> tuple[dict[str, Any], list[str]]:
    run_id = api.create(scenario.workflow, scenario.input, config=scenario.config).json()["run_id"]
    answered: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = api("GET", f"/v1/runs/{run_id}").json()
        if run["status"] in ("succeeded", "failed", "cancelled", "timed_out"):
            return run, [e["type"] for e in api.events(run_id)]
        for checkpoint in api("GET", f"/v1/runs/{run_id}/checkpoints").json()["data"]:
            cid = checkpoint["checkpoint_id"]
            if checkpoint["status"] != "pending" or cid in answered:
                continue
            answer = scenario.answers[checkpoint["name"]]
            verb, body = _v1(answer)
            assert api("POST", f"/v1/runs/{run_id}/checkpoints/{cid}/{verb}", body=body).status == 200
            answered.add(cid)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end")


def _v1(answer: Answer) -> tuple[str, dict[str, Any]]:
    from agent_runtime.testing import Approve, Reject

    if isinstance(answer, Approve):
        return "approve", {"comment": answer.comment}
    if isinstance(answer, Reject):
        return "reject", {"reason": answer.reason}
    return "input", {"data": answer.data}


# Who answered, when and through which door differ by nature; so do generated ids.
VARYING = {"by", "at", "via"}


def _without_ids(output: Any) -> Any:
    if isinstance(output, dict):
        return {
            k: _without_ids(v)
            for k, v in output.items()
            if not k.endswith("artifact_id") and k not in VARYING
        }
    return output


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_kit_and_the_stack_agree(api: Api, name: str) -> None:
    scenario = SCENARIOS[name]
    key = _key()
    given = {
        **scenario.input,
        **({"key": f"{scenario.input['key']}-{key}"} if "key" in scenario.input else {}),
    }
    scenario = Scenario(scenario.workflow, given, scenario.answers, scenario.config)
    workflow = registry().get(scenario.workflow)
    kit_run = WorkflowTest(workflow).run(scenario.input, config=scenario.config, answers=scenario.answers)
    stack_run, stack_types = _on_stack(api, scenario)
    assert stack_run["status"] == kit_run.status
    assert _without_ids(stack_run["output"]) == _without_ids(kit_run.output)
    # The same events; in the same order, but for a step's start, which the SDK checkpoints without
    # waiting (its body may emit before the start is recorded, on either side).
    assert sorted(_compared(stack_types)) == sorted(_compared(kit_run.event_types))
    assert _milestones(stack_types) == _milestones(kit_run.event_types)
    if name == "triage":  # the report is a real artifact on the stack
        artifact = api("GET", f"/v1/artifacts/{stack_run['output']['report_artifact_id']}").json()
        body = httpx.get(artifact["download_url"]).text
        assert body.startswith("# Triage of 3 tickets") and "[urgent] the site is down" in body

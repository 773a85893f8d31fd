"""ACP fixes of issue 13 over HTTP: `block_timeout` on POST /runs/wait, multitask strategies refused
everywhere, a bad webhook named as sent, a copied thread's history, and the seed document's aliases
(GET /agents/agent/{id}/manifest, GET /runs/{id}/output, `callback` on POST /runs)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def http(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    """An ACP client of this test's tenant: ACP takes the key in x-api-key (manifest.key_header)."""
    with httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=30) as client:
        yield client


# The ACP SDK's manifest of its echo agent, in the shared reference folder beside the repository.
REFERENCE_MANIFEST = (
    Path(__file__).resolve().parents[4] / "shared" / "reference" / "acp" / "manifest-echo-agent.json"
)


def agent_id(http: httpx.Client, name: str) -> str:
    (agent,) = http.post("/agents/search", json={"name": name}).json()
    return str(agent["agent_id"])


def human(text: str) -> dict[str, Any]:
    return {"messages": [{"type": "human", "content": text}]}


def test_create_and_wait_honours_block_timeout(http: httpx.Client) -> None:
    slow = agent_id(http, "slow")
    started = time.monotonic()
    response = http.post(
        "/runs/wait",
        params={"block_timeout": 1},
        json={"agent_id": slow, "input": {"steps": 20, "seconds": 0.5}},
    )
    assert time.monotonic() - started < 8
    assert response.status_code == 200
    body = response.json()
    assert body["run"]["status"] == "pending" and "output" not in body
    http.post(f"/runs/{body['run']['run_id']}/cancel")


@pytest.mark.parametrize("strategy", ["enqueue", "rollback"])
def test_unsupported_multitask_strategies_are_422_on_idle_threads_and_stateless_runs(
    http: httpx.Client, strategy: str
) -> None:
    echo = agent_id(http, "echo_agent")
    thread_id = http.post("/threads", json={}).json()["thread_id"]
    body = {"agent_id": echo, "input": human("x"), "multitask_strategy": strategy}
    for path in ("/runs", f"/threads/{thread_id}/runs"):
        response = http.post(path, json=body)
        assert response.status_code == 422, (path, response.text)
        assert "multitask_strategy" in response.json()


@pytest.mark.parametrize("field", ["webhook", "callback"])
def test_a_bad_callback_url_names_the_field_as_sent(http: httpx.Client, field: str) -> None:
    echo = agent_id(http, "echo_agent")
    response = http.post(
        "/runs", json={"agent_id": echo, "input": human("x"), field: "https://10.0.0.1/hook"}
    )
    assert response.status_code == 422
    message = response.json()
    assert isinstance(message, str) and message.startswith(f"{field} is not allowed"), message
    assert "callback_url" not in message


def test_the_callback_alias_sets_the_webhook(http: httpx.Client) -> None:
    echo = agent_id(http, "echo_agent")
    run = http.post(
        "/runs", json={"agent_id": echo, "input": human("x"), "callback": "http://127.0.0.1:9/h"}
    ).json()
    assert run["creation"]["webhook"] == "http://127.0.0.1:9/h"
    both = http.post(
        "/runs",
        json={
            "agent_id": echo,
            "input": human("x"),
            "callback": "https://a.example/h",
            "webhook": "https://b.example/h",
        },
    )
    assert both.status_code == 422


def test_a_copied_threads_history_has_object_values(http: httpx.Client) -> None:
    thread_id = http.post("/threads", json={}).json()["thread_id"]
    copy = http.post(f"/threads/{thread_id}/copy").json()
    (state,) = http.get(f"/threads/{copy['thread_id']}/history").json()
    assert state["values"] == {}


def test_the_manifest_alias_is_the_descriptor_plus_deployment(http: httpx.Client, base_url: str) -> None:
    echo = agent_id(http, "echo_agent")
    manifest = http.get(f"/agents/agent/{echo}/manifest").json()
    reference = json.loads(REFERENCE_MANIFEST.read_text()) if REFERENCE_MANIFEST.exists() else None
    (extension,) = manifest["extensions"]
    assert extension["name"] == "oasf.agntcy.org/feature/runtime/manifest"
    descriptor = http.get(f"/agents/{echo}/descriptor").json()
    assert extension["data"]["acp"] == descriptor["specs"]
    (option,) = extension["data"]["deployment"]["deployment_options"]
    assert option["protocol"] == {"type": "ACP", "url": base_url}
    if reference is not None:  # the same shape as the SDK's manifest of its echo agent
        assert set(reference) <= set(manifest) | {"created_at"}
        assert set(reference["extensions"][0]["data"]) == set(extension["data"])
        assert set(reference["extensions"][0]["data"]["acp"]) <= set(extension["data"]["acp"])
    assert http.get("/agents/agent/nope/manifest").status_code == 404


def test_the_output_alias_answers_the_output_or_204(http: httpx.Client) -> None:
    echo, slow = agent_id(http, "echo_agent"), agent_id(http, "slow")
    run_id = http.post("/runs", json={"agent_id": echo, "input": human("out")}).json()["run_id"]
    output = http.get(f"/runs/{run_id}/output", params={"block_timeout": 20}).json()
    assert output["type"] == "result" and output["values"]["messages"][-1]["content"] == "out"
    pending = http.post("/runs", json={"agent_id": slow, "input": {"steps": 20, "seconds": 0.5}}).json()
    response = http.get(f"/runs/{pending['run_id']}/output", params={"block_timeout": 0.2})
    assert response.status_code == 204 and response.content == b""
    http.post(f"/runs/{pending['run_id']}/cancel")

"""PydanticAI agents hosted as workflows, in the test kit: model requests and tool calls are steps
(a replay calls neither again), approvals are checkpoints, streamed text is events."""

from __future__ import annotations

import uuid

import pytest

from agent_runtime.frameworks.pydantic_ai import RuntimeDurability, pydantic_ai_workflow
from agent_runtime.testing import WorkflowTest, approve, reject
from tests.workflows.frameworks.samples import CALLS, SUPPORT


def _key() -> str:
    return f"order-{uuid.uuid4().hex[:8]}"


def test_an_approved_tool_call_runs_once_and_no_model_call_is_replayed() -> None:
    key = _key()
    run = WorkflowTest(SUPPORT).run({"prompt": key})
    assert run.status == "waiting_for_input"
    [checkpoint] = run.pending()
    assert (checkpoint.checkpoint_id, checkpoint.type) == ("tool_approval-1", "approval")
    assert checkpoint.payload["tool_name"] == "refund"
    assert checkpoint.payload["args"] == {"order": key, "amount": 30}
    assert (CALLS[("model", key)], CALLS[("lookup", key)], CALLS[("refund", key)]) == (2, 1, 0)

    run.answer("tool_approval-1", approve("ok"))
    assert run.resume().status == "succeeded", run.error
    # The resumed invocation replayed both earlier model requests and the lookup from the store.
    assert (CALLS[("model", key)], CALLS[("lookup", key)], CALLS[("refund", key)]) == (3, 1, 1)
    assert run.usage["invocations"] == 2
    assert run.output["output"] == f"refund: refunded 30 USD on {key}"
    assert run.output["model_requests"] == 3 and run.output["output_tokens"] > 0
    steps = [e["name"] for e in run.events_of("step.succeeded")]
    assert steps == [
        "support__model.request_stream",
        "support__function_toolset__<agent>.call_tool:lookup",
        "support__model.request_stream",
        "support__function_toolset__<agent>.call_tool:refund",
        "support__model.request_stream",
    ]


def test_a_denied_tool_call_never_runs_and_the_model_sees_the_reason() -> None:
    key = _key()
    run = WorkflowTest(SUPPORT).run({"prompt": key}, answers={"tool_approval": reject("over the limit")})
    assert run.status == "succeeded", run.error
    assert CALLS[("refund", key)] == 0
    assert run.output["output"] == "refund: over the limit"


def test_streamed_text_is_message_delta_events_and_each_response_a_message_completed() -> None:
    key = _key()
    run = WorkflowTest(SUPPORT).run({"prompt": key}, answers={"tool_approval": approve()})
    completed = run.events_of("message.completed")
    assert len(completed) == 3
    assert len({c["message_id"] for c in completed}) == 3
    assert completed[0]["tool_calls"][0]["tool_name"] == "lookup"
    assert completed[0]["tool_calls"][0]["args"] == {"order": key}
    final = completed[-1]
    deltas = [d for d in run.events_of("message.delta") if d["message_id"] == final["message_id"]]
    assert len(deltas) > 1
    assert "".join(d["text"] for d in deltas) == final["text"] == f"refund: refunded 30 USD on {key}"
    assert final["usage"]["output_tokens"] > 0
    # Deltas come before their message's completion, and none is emitted twice by the replay.
    types = run.event_types
    assert types.index("message.completed", types.index("message.delta")) > types.index("message.delta")
    assert len(run.events_of("message.delta")) == len(deltas)


def test_an_agent_without_the_capability_is_refused() -> None:
    from pydantic_ai import Agent
    from pydantic_ai.models.test import TestModel

    with pytest.raises(TypeError, match="RuntimeDurability"):
        pydantic_ai_workflow("plain", "1.0.0", Agent(TestModel(), name="plain"))


def test_pydantic_ai_test_model_runs_its_tools_as_steps() -> None:
    from pydantic_ai import Agent
    from pydantic_ai.models.test import TestModel

    seen: list[int] = []
    agent = Agent(TestModel(), name="tester", capabilities=[RuntimeDurability()])

    @agent.tool_plain
    def double(x: int) -> int:
        seen.append(x)
        return 2 * x

    workflow = pydantic_ai_workflow("tester", "1.0.0", agent)
    run = WorkflowTest(workflow).run({"prompt": "go"})
    assert run.status == "succeeded", run.error
    assert len(seen) == 1
    assert "double" in str(run.output["output"])
    assert [e["name"] for e in run.events_of("step.succeeded")].count("tester__model.request_stream") == 2


def test_a_failing_tool_is_retried_by_the_sdk_and_the_run_goes_on() -> None:
    """A tool that raises fails its step: the SDK retries it after a timer (the handler suspends
    from inside the agent's run), and the resumed run replays the model request before it."""
    from pydantic_ai import Agent
    from pydantic_ai.models.test import TestModel

    attempts: list[int] = []
    model_calls: list[int] = []
    agent = Agent(TestModel(), name="flaky", capabilities=[RuntimeDurability()])

    @agent.tool_plain
    def fetch(x: int) -> int:
        attempts.append(x)
        if len(attempts) < 3:
            raise ConnectionError("the service is down")
        return x

    original = TestModel.request_stream

    def counted(self: TestModel, *args: object, **kwargs: object) -> object:
        model_calls.append(1)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    workflow = pydantic_ai_workflow("flaky", "1.0.0", agent)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TestModel, "request_stream", counted)
        run = WorkflowTest(workflow).run({"prompt": "go"})
    assert run.status == "succeeded", run.error
    assert len(attempts) == 3
    assert [e["attempt"] for e in run.events_of("step.retrying")] == [1, 2]
    assert len(model_calls) == 2  # one before the tool, one after: none replayed
    assert run.usage["invocations"] == 3

"""LangGraph graphs hosted as workflows, in the test kit: an interrupt is a checkpoint, its answer the
Command(resume=...), and a resumed run never runs a finished node again."""

from __future__ import annotations

import uuid

import pytest

from agent_runtime.testing import WorkflowTest, submit
from tests.workflows.frameworks.samples import CALLS, REVIEW


def _topic() -> str:
    return f"topic-{uuid.uuid4().hex[:8]}"


def test_an_interrupt_waits_for_a_person_and_resumes_with_the_answer() -> None:
    topic = _topic()
    run = WorkflowTest(REVIEW).run({"topic": topic})
    assert run.status == "waiting_for_input"
    [checkpoint] = run.pending()
    assert (checkpoint.checkpoint_id, checkpoint.type) == ("interrupt-1", "input")
    assert checkpoint.payload["value"] == {
        "question": "Publish this draft?",
        "draft": "a short draft about durable graphs",
    }
    assert (CALLS[("draft", topic)], CALLS[("review", topic)], CALLS[("publish", topic)]) == (1, 1, 0)

    run.answer("interrupt-1", submit({"value": "yes"}))
    assert run.resume().status == "succeeded", run.error
    # The draft node (and its model call) never ran again; the interrupted node re-ran once to
    # receive the answer, as LangGraph resumes it.
    assert (CALLS[("draft", topic)], CALLS[("review", topic)], CALLS[("publish", topic)]) == (1, 2, 1)
    assert run.output["state"]["published"] is True
    assert run.output["state"]["verdict"] == "yes"
    assert run.output["interrupts"] == 1
    assert [e["name"] for e in run.events_of("step.succeeded")] == ["graph.start", "graph.resume"]


def test_another_answer_takes_the_graph_elsewhere() -> None:
    topic = _topic()
    run = WorkflowTest(REVIEW).run({"topic": topic}, answers={"interrupt": submit({"value": "no"})})
    assert run.status == "succeeded", run.error
    assert run.output["state"]["published"] is False


def test_streamed_tokens_of_the_graphs_chat_model_are_events() -> None:
    run = WorkflowTest(REVIEW).run({"topic": _topic()}, answers={"interrupt": submit({"value": "yes"})})
    deltas = run.events_of("message.delta")
    [completed] = run.events_of("message.completed")
    assert len(deltas) > 1
    assert "".join(d["text"] for d in deltas) == completed["text"] == "a short draft about durable graphs"
    assert {d["message_id"] for d in deltas} == {completed["message_id"]}


def test_a_graph_with_its_own_checkpointer_is_refused() -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from agent_runtime.frameworks.langgraph import langgraph_workflow
    from tests.workflows.frameworks.samples import _builder

    with pytest.raises(TypeError, match="checkpointer"):
        langgraph_workflow("saver", "1.0.0", _builder.compile(checkpointer=InMemorySaver()))

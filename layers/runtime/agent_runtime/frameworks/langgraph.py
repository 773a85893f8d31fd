"""LangGraph graphs as durable workflows (the `langgraph` extra).

    graph = builder.compile()          # no checkpointer: the run keeps the graph's state
    WORKFLOWS = [langgraph_workflow("review", "1.0.0", graph, input_model=ReviewState)]

The graph runs until it ends or stops at `interrupt()`; that stretch is one SDK `context.step` whose
result is the graph's checkpoint (LangGraph's own checkpoint and pending writes, serialized by its
serializer), so the state is kept with the run. An interrupt becomes a checkpoint (`interrupt`, an
input: the person answers {"value": ...}); the next step restores the stored checkpoint into a fresh
saver and resumes the graph with `Command(resume=value)`: nodes that finished never run again, and a
replay of the run runs no node at all. Tokens that the graph's chat models stream become
`message.delta` events, each message `message.completed`, emitted while the step runs.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_jsonable_python

from agent_runtime.workflows.checkpoints import CheckpointKind
from agent_runtime.workflows.durable import ask_human, current_run, durable_workflow, emit
from agent_runtime.workflows.sdk import Workflow

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import CheckpointTuple
    from langgraph.pregel import Pregel

__all__ = ["INTERRUPT", "GraphInput", "GraphOutput", "InterruptAnswer", "langgraph_workflow"]

# The checkpoint an `interrupt()` raises.
INTERRUPT = "interrupt"


class GraphInput(BaseModel):
    """Any JSON object: the graph's input state (give `input_model` to describe it)."""

    model_config = ConfigDict(extra="allow", title="GraphInput")


class GraphOutput(BaseModel):
    model_config = ConfigDict(title="GraphOutput")
    state: dict[str, Any] = Field(description="The graph's final state, as JSON.")
    interrupts: int = Field(description="How many times the graph waited for a person.")


class InterruptPayload(BaseModel):
    model_config = ConfigDict(title="InterruptPayload")
    value: Any = Field(description="What the graph passed to interrupt().")
    interrupt_id: str


class InterruptAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", title="InterruptAnswer")
    value: Any = Field(description="What interrupt() returns to the graph: Command(resume=value).")


def _typed(saver: InMemorySaver, value: Any) -> list[str]:
    kind, data = saver.serde.dumps_typed(value)
    return [kind, base64.b64encode(data).decode()]


def _untyped(saver: InMemorySaver, stored: list[str]) -> Any:
    return saver.serde.loads_typed((stored[0], base64.b64decode(stored[1])))


def _dump(saver: InMemorySaver, thread_id: str) -> list[dict[str, Any]]:
    """The latest checkpoint of each namespace of the thread (the graph's and its subgraphs'), with
    their pending writes: what resuming needs, as JSON."""
    latest: dict[str, CheckpointTuple] = {}
    for found in saver.list({"configurable": {"thread_id": thread_id}}):
        latest.setdefault(found.config["configurable"].get("checkpoint_ns", ""), found)
    return [
        {
            "config": dict(found.config["configurable"]),
            "parent": dict(found.parent_config["configurable"]) if found.parent_config else None,
            "checkpoint": _typed(saver, found.checkpoint),
            "metadata": _typed(saver, found.metadata),
            "writes": [
                [task, channel, _typed(saver, value)] for task, channel, value in found.pending_writes or []
            ],
        }
        for found in latest.values()
    ]


def _restore(saver: InMemorySaver, stored: list[dict[str, Any]]) -> None:
    """Put the stored checkpoints into a fresh saver, through the saver's own interface."""
    for item in stored:
        checkpoint = _untyped(saver, item["checkpoint"])
        parent = item["parent"] or {k: v for k, v in item["config"].items() if k != "checkpoint_id"}
        config = saver.put(
            {"configurable": parent},
            checkpoint,
            _untyped(saver, item["metadata"]),
            checkpoint["channel_versions"],
        )
        by_task: dict[str, list[tuple[str, Any]]] = {}
        for task, channel, value in item["writes"]:
            by_task.setdefault(task, []).append((channel, _untyped(saver, value)))
        for task, writes in by_task.items():
            saver.put_writes(config, writes, task)


def _streamed(chunks: Iterator[Any]) -> None:
    """Chat-model tokens from the graph's `messages` stream, as events; each message's whole text
    once the stretch ends."""
    texts: dict[str, str] = {}
    for chunk, _ in chunks:
        if not isinstance(chunk, BaseMessage) or not isinstance(chunk.content, str) or not chunk.content:
            continue
        message_id = chunk.id or "message"
        texts[message_id] = texts.get(message_id, "") + chunk.content
        emit("message.delta", {"message_id": message_id, "text": chunk.content})
    for message_id, text in texts.items():
        emit("message.completed", {"message_id": message_id, "text": text})


def _stretch(
    graph: Pregel[Any], thread_id: str, stored: list[dict[str, Any]] | None, given: Any
) -> dict[str, Any]:
    """Run the graph from its stored checkpoint (or its start) until it ends or is interrupted."""
    saver = InMemorySaver()
    if stored:
        _restore(saver, stored)
    runnable = graph.copy(update={"checkpointer": saver})
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    _streamed(runnable.stream(given, config, stream_mode="messages"))
    snapshot = runnable.get_state(config)
    return {
        "checkpoint": _dump(saver, thread_id),
        "values": to_jsonable_python(snapshot.values, fallback=str),
        "interrupts": [
            {"id": found.id, "value": to_jsonable_python(found.value, fallback=str)}
            for found in snapshot.interrupts
        ],
    }


def _stretch_step(
    graph: Pregel[Any], thread_id: str, stored: list[dict[str, Any]] | None, given: Any, _: object
) -> dict[str, Any]:
    return _stretch(graph, thread_id, stored, given)


def langgraph_workflow(
    name: str,
    version: str,
    graph: Pregel[Any],
    *,
    input_model: type[BaseModel] = GraphInput,
    output: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
    output_model: type[BaseModel] = GraphOutput,
    description: str = "",
    assignee: str | None = None,
    max_interrupts: int = 100,
) -> Workflow:
    """Register a compiled graph as a workflow whose input is the graph's input state. Its output is
    {"state": final state, "interrupts": n}, or what `output` makes of the final state (then give
    its `output_model`). Interrupts are `interrupt` checkpoints assigned to `assignee`."""
    if getattr(graph, "checkpointer", None) not in (None, False):
        raise TypeError(
            f"workflow {name!r}: compile the graph without a checkpointer: the run keeps its state"
        )
    from aws_durable_execution_sdk_python import durable_execution

    @durable_execution
    def handler(event: dict[str, Any], context: DurableContext) -> Any:
        thread_id = current_run().run_id
        given: Any = event
        stored: list[dict[str, Any]] | None = None
        for asked in range(max_interrupts + 1):
            result: dict[str, Any] = context.step(
                functools.partial(_stretch_step, graph, thread_id, stored, given),
                name="graph.start" if stored is None else "graph.resume",
            )
            if not result["interrupts"]:
                state: dict[str, Any] = result["values"]
                return dict(output(state)) if output else {"state": state, "interrupts": asked}
            stored = result["checkpoint"]
            given = Command(resume=_answers(context, result["interrupts"], assignee))
        raise RuntimeError(f"the graph was interrupted more than {max_interrupts} times")

    return durable_workflow(
        name,
        version,
        handler,
        input_model=input_model,
        output_model=output_model,
        description=description or f"The LangGraph graph {graph.name!r}.",
        checkpoints={
            INTERRUPT: CheckpointKind(
                type="input",
                payload_model=InterruptPayload,
                response_model=InterruptAnswer,
                description="The graph called interrupt(): answer with the value it resumes with.",
            )
        },
    )


def _answers(context: DurableContext, interrupts: list[dict[str, Any]], assignee: str | None) -> Any:
    """Ask a person for each interrupt; one answer resumes with its value, several by interrupt id."""
    values: dict[str, Any] = {}
    for found in interrupts:
        value = found["value"]
        answer = ask_human(
            context,
            INTERRUPT,
            prompt=value if isinstance(value, str) else "The graph is waiting for an answer.",
            payload=InterruptPayload(value=value, interrupt_id=found["id"]),
            assignee=assignee,
        )
        if answer.decision != "submitted":
            raise RuntimeError(
                f"interrupt {found['id']} was {answer.decision}: {answer.reason or ''}".strip()
            )
        values[found["id"]] = (answer.data or {}).get("value")
    return next(iter(values.values())) if len(values) == 1 else values

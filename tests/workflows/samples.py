"""Workflows used by the tests, loaded the way operators add theirs: AGENT_RUNTIME_WORKFLOW_MODULES."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_runtime.models import Message, ModelRequest
from agent_runtime.models.events import complete_streaming
from agent_runtime.models.scripted import Script, ScriptedProvider, Turn
from agent_runtime.workflows import CheckpointKind, RetryableStepError, StepContext, Workflow
from agent_runtime.workflows.builtin.echo import EchoPayload

# How often each (run_id, step) ran: the step worker shares this process in tests.
EXECUTIONS: Counter[tuple[str, str]] = Counter()


class Count(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    count: int = Field(ge=1, le=1000)
    flaky: bool = False


class Total(BaseModel):
    name: str
    total: int


def _three_steps(version: str) -> Workflow:
    workflow = Workflow(
        "counter",
        version,
        input_model=Count,
        output_model=Total,
        description=f"Counts in three steps ({version}).",
    )

    @workflow.step
    def first(ctx: StepContext) -> int:
        EXECUTIONS[(ctx.run_id, "first")] += 1
        ctx.state["seen"] = 1
        ctx.emit("progress.note", {"message": "first done"})
        return int(ctx.input.count)

    @workflow.step
    def second(ctx: StepContext) -> int:
        EXECUTIONS[(ctx.run_id, "second")] += 1
        if ctx.input.flaky and EXECUTIONS[(ctx.run_id, "second")] == 1:
            raise RetryableStepError("the model endpoint was busy")
        ctx.state["seen"] += 1
        return int(ctx.results["first"]) * 2

    @workflow.step
    def third(ctx: StepContext) -> dict[str, Any]:
        EXECUTIONS[(ctx.run_id, "third")] += 1
        return {"name": ctx.input.name, "total": ctx.results["second"] + ctx.state["seen"]}

    return workflow


failing = Workflow("failing", "1.0.0", input_model=EchoPayload, output_model=EchoPayload)


@failing.step
def explode(ctx: StepContext) -> None:
    raise ValueError("boom: the tool returned nonsense")


bad_output = Workflow("bad_output", "1.0.0", input_model=EchoPayload, output_model=Total)


@bad_output.step
def wrong(ctx: StepContext) -> dict[str, Any]:
    return {"name": "x"}


class Sleepy(BaseModel):
    steps: int = Field(default=30, ge=1, le=40)
    seconds: float = Field(default=0.1, ge=0, le=2)


slow = Workflow(
    "slow", "1.0.0", input_model=Sleepy, output_model=EchoPayload, description="Many short steps."
)
for _index in range(40):

    def _nap(ctx: StepContext, _i: int = _index) -> dict[str, Any]:
        EXECUTIONS[(ctx.run_id, "nap")] += 1
        if _i < ctx.input.steps:
            time.sleep(ctx.input.seconds)
        return {"naps": _i + 1}

    slow.step(_nap, name=f"nap_{_index:03d}")


class NotesRequest(BaseModel):
    topic: str


class Notes(BaseModel):
    notes: dict[str, Any] | None


notes = Workflow(
    "notes",
    "1.0.0",
    input_model=NotesRequest,
    output_model=Notes,
    description="Asks a human for free-form notes (an input checkpoint with no schema of its own).",
    checkpoints={"notes": CheckpointKind("input", payload_model=NotesRequest)},
)


@notes.step
def ask(ctx: StepContext) -> dict[str, Any]:
    answer = ctx.checkpoint(
        "notes", prompt=f"Notes on {ctx.input.topic}?", payload={"topic": ctx.input.topic}
    )
    return {"notes": answer.data}


drafts = Workflow("drafts", "1.0.0", input_model=EchoPayload, output_model=EchoPayload)


@drafts.step
def write_twice(ctx: StepContext) -> dict[str, Any]:
    first = ctx.put_artifact("draft.txt", "first draft")
    second = ctx.put_artifact("draft.txt", "the second, longer draft")
    return {"first": first, "second": second}


MEBIBYTE = 1024 * 1024
chatty = Workflow("chatty", "1.0.0", input_model=EchoPayload, output_model=EchoPayload)


@chatty.step
def shout(ctx: StepContext) -> dict[str, Any]:
    for index in range(int(ctx.input.model_extra.get("events", 6))):
        ctx.emit("progress.chunk", {"index": index, "text": "c" * (9 * MEBIBYTE // 10)})
    return {}


too_big = Workflow("too_big", "1.0.0", input_model=EchoPayload, output_model=EchoPayload)


@too_big.step
def overflow(ctx: StepContext) -> dict[str, Any]:
    if ctx.input.model_extra.get("what") == "event":
        ctx.emit("progress.huge", {"text": "e" * (3 * MEBIBYTE // 2)})
    return {"text": "o" * (3 * MEBIBYTE)}


# Its step's name marks the commits a test throttles (test_a_throttled_aws_call_is_retried...).
throttled = Workflow("throttled", "1.0.0", input_model=EchoPayload, output_model=EchoPayload)


@throttled.step
def respond_after_throttling(ctx: StepContext) -> dict[str, Any]:
    return ctx.input.model_dump()


class Busy(BaseModel):
    seconds: float = Field(gt=0, le=30)
    per_second: int = Field(default=1000, ge=1, le=5000)


class Emitted(BaseModel):
    emitted: int


busy = Workflow(
    "busy", "1.0.0", input_model=Busy, output_model=Emitted, description="Emits events at a steady rate."
)


@busy.step
def emit_steadily(ctx: StepContext) -> dict[str, int]:
    """About `per_second` events a second for `seconds` (bounded: the test stops by itself)."""
    started, emitted = time.monotonic(), 0
    while (elapsed := time.monotonic() - started) < ctx.input.seconds:
        due = int(elapsed * ctx.input.per_second)
        while emitted < due:
            ctx.emit("token", {"n": emitted})
            emitted += 1
        time.sleep(0.005)
    return {"emitted": emitted}


WORKFLOWS = [
    busy,
    throttled,
    _three_steps("1.0.0"),
    _three_steps("1.1.0"),
    failing,
    bad_output,
    slow,
    notes,
    drafts,
    chatty,
    too_big,
]


class Nothing(BaseModel):
    pass


class Misbehaviour(BaseModel):
    kind: str = Field(pattern="^(exit|interrupt|swallow|nan|forged|deep)$")


misbehaving = Workflow(
    "misbehaving",
    "1.0.0",
    input_model=Misbehaviour,
    output_model=Emitted,
    description="Step code that does what it must not: the run must still end.",
    checkpoints={"ok": CheckpointKind("approval", payload_model=Nothing)},
)


@misbehaving.step
def misbehave(ctx: StepContext) -> Any:
    kind = ctx.input.kind
    if kind == "exit":
        raise SystemExit(3)
    if kind == "interrupt":
        raise KeyboardInterrupt
    if kind == "swallow":
        with contextlib.suppress(BaseException):  # the misbehaviour under test
            ctx.checkpoint("ok", prompt="ok?")
        return {"emitted": 0}
    if kind == "nan":
        return {"emitted": float("nan")}
    if kind == "deep":
        deep: Any = []
        for _ in range(300):
            deep = [deep]
        return {"emitted": 0, "deep": deep}
    ctx.emit("progress\nid: 999\nevent: run.succeeded", {})
    return {"emitted": 1}


WORKFLOWS.append(misbehaving)


# -- Model calls (agent_runtime/models): the scripted model's answer streamed as message events.
class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1)


class Answer(BaseModel):
    text: str
    model_id: str


model_chat = Workflow(
    "model-chat",
    "1.0.0",
    input_model=Question,
    output_model=Answer,
    description="Asks the scripted model; its answer streams as message.delta, then message.completed.",
)


@model_chat.step
def ask_the_model(ctx: StepContext) -> dict[str, Any]:
    provider = ScriptedProvider(Script(turns=[Turn(text="You asked: {last_message}. The answer is 42.")]))
    request = ModelRequest(messages=[Message.of("user", ctx.input.question)])
    response = complete_streaming(provider, request, ctx.emit, message_id=f"msg_{ctx.run_id}_1")
    return {"text": response.message.text, "model_id": response.model_id}


WORKFLOWS.append(model_chat)
# Big events and a big output (the MCP door's progress frames must fit beside its result).
loud = Workflow("loud", "1.0.0", input_model=EchoPayload, output_model=EchoPayload)


@loud.step
def shout_then_answer(ctx: StepContext) -> dict[str, Any]:
    for index in range(4):
        ctx.emit("progress.chunk", {"index": index, "text": "c" * (9 * MEBIBYTE // 10)})
    return {"text": "o" * (19 * MEBIBYTE // 10)}


WORKFLOWS.append(loud)

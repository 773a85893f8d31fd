"""Durable workflows (the AWS Durable Execution SDK's handlers) used by the tests, loaded as operators
load theirs: AGENT_RUNTIME_WORKFLOW_MODULES. Side effects are counted in SIDE_EFFECTS (the workers share
the test process), so a test can prove that a replay executed nothing again."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import (
    CallbackConfig,
    Duration,
    JitterStrategy,
    MapConfig,
    ParallelConfig,
    StepConfig,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from pydantic import BaseModel, ConfigDict, Field

from agent_runtime.workflows import CheckpointKind, RetryableStepError, StepContext, Workflow
from agent_runtime.workflows.durable import ask_human, durable_workflow, emit, run_config
from agent_runtime.workflows.sdk import RetryPolicy

# (run_id or a test's key, what) -> how many times it really ran.
SIDE_EFFECTS: Counter[tuple[str, str]] = Counter()
# Test switches, by a key in the run's input: how many attempts of a step fail; renamed operations.
FAILURES: dict[str, int] = {}
RENAMED: set[str] = set()


class LoopInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    steps: int = Field(ge=0, le=20_000)
    ask_at: int | None = None


class LoopOutput(BaseModel):
    total: int
    approved: bool | None = None
    comment: str | None = None


class Question(BaseModel):
    at: int
    total: int


def _effect(key: str, what: str, value: int) -> int:
    SIDE_EFFECTS[(key, what)] += 1
    return value


@durable_execution
def loop_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """An agent's loop: n steps, a person asked in the middle of it."""
    key, total = event["key"], 0
    approved: bool | None = None
    comment: str | None = None
    for i in range(event["steps"]):
        if event.get("ask_at") == i:
            emit("loop.asking", {"at": i}, context=context)
            answer = ask_human(
                context, "review", prompt=f"Go on after step {i}?", payload=Question(at=i, total=total)
            )
            approved, comment = answer.approved, answer.comment
            if not approved:
                break
        total += context.step(lambda _, i=i: _effect(key, f"step-{i}", i), name=f"step-{i}")
    return {"total": total, "approved": approved, "comment": comment}


LOOP = durable_workflow(
    "d_loop",
    "1.0.0",
    loop_handler,
    input_model=LoopInput,
    output_model=LoopOutput,
    description="A durable loop of steps with a person asked in the middle.",
    checkpoints={"review": CheckpointKind(type="approval", payload_model=Question, description="Go on?")},
)


class KeyInput(BaseModel):
    key: str
    seconds: int = 1
    workflow: str = "d_loop"


@durable_execution
def timers_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """A wait, then a step that fails FAILURES[key] times before it succeeds (retried with a delay)."""
    key = event["key"]
    context.wait(Duration.from_seconds(event["seconds"]), name="nap")

    def flaky(_: Any) -> int:
        SIDE_EFFECTS[(key, "flaky")] += 1
        if FAILURES.get(key, 0) > 0:
            FAILURES[key] -= 1
            raise RuntimeError(f"flaky failure, {FAILURES[key]} to go")
        return 42

    retry = create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration(1), jitter_strategy=JitterStrategy.NONE)
    )
    value = context.step(flaky, name="flaky", config=StepConfig(retry_strategy=retry))
    return {"value": value}


class Value(BaseModel):
    value: int


TIMERS = durable_workflow("d_timers", "1.0.0", timers_handler, input_model=KeyInput, output_model=Value)


@durable_execution
def parent_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """A child run of another workflow, and its output back."""
    child = context.invoke(event["workflow"], {"key": event["key"], "steps": 3, "ask_at": 1}, name="child")
    return {"child": child}


class ChildOutput(BaseModel):
    child: Any


PARENT = durable_workflow("d_parent", "1.0.0", parent_handler, input_model=KeyInput, output_model=ChildOutput)


class ItemsInput(BaseModel):
    key: str
    items: list[int]


class Squares(BaseModel):
    squares: list[int]
    pair: list[str]
    answer: Any = None


@durable_execution
def fanout_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """map over items with bounded concurrency, parallel branches, and a raw callback of no declared kind."""
    key = event["key"]
    squares = context.map(
        event["items"],
        lambda ctx, item, index, items: ctx.step(
            lambda _: _effect(key, f"sq-{item}", item * item), name=f"sq-{index}"
        ),
        name="squares",
        config=MapConfig(max_concurrency=3),
    ).get_results()
    pair = context.parallel(
        [
            lambda ctx: ctx.step(lambda _: "left", name="left"),
            lambda ctx: ctx.step(lambda _: "right", name="right"),
        ],
        name="pair",
        config=ParallelConfig(max_concurrency=2),
    ).get_results()
    callback = context.create_callback(name="note", config=CallbackConfig(timeout=Duration(3600)))
    raw = callback.result()
    return {"squares": squares, "pair": pair, "answer": json.loads(raw) if raw else None}


FANOUT = durable_workflow("d_fanout", "1.0.0", fanout_handler, input_model=ItemsInput, output_model=Squares)


@durable_execution
def diverge_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """Asks a person; on replay its code names the first step differently when RENAMED holds its key."""
    first = "renamed" if event["key"] in RENAMED else "first"
    context.step(lambda _: 1, name=first)
    answer = ask_human(context, "review", prompt="ok?", payload=Question(at=1, total=1))
    return {"total": 1, "approved": answer.approved}


DIVERGE = durable_workflow(
    "d_diverge",
    "1.0.0",
    diverge_handler,
    input_model=KeyInput,
    output_model=LoopOutput,
    checkpoints={"review": CheckpointKind(type="approval", payload_model=Question)},
)


class Deadline(BaseModel):
    key: str
    seconds: int = 2
    continue_on_timeout: bool = False


@durable_execution
def deadline_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """Asks a person with a deadline nobody meets."""
    kind = "maybe" if event["continue_on_timeout"] else "review"
    answer = ask_human(
        context,
        kind,
        prompt="Anyone?",
        payload=Question(at=0, total=0),
        timeout_seconds=event["seconds"],
        default={"total": -1},
    )
    return {"total": (answer.data or {}).get("total", 0), "approved": answer.approved}


DEADLINE = durable_workflow(
    "d_deadline",
    "1.0.0",
    deadline_handler,
    input_model=Deadline,
    output_model=LoopOutput,
    checkpoints={
        "review": CheckpointKind(type="approval", payload_model=Question),
        "maybe": CheckpointKind(type="approval", payload_model=Question, on_timeout="continue"),
    },
)


class Greeting(BaseModel):
    greeting: str = "hello"


class Said(BaseModel):
    said: str


@durable_execution
def config_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    config = run_config()
    return {"said": context.step(lambda _: f"{config.greeting} {event['key']}", name="say")}


CONFIGURED = durable_workflow(
    "d_config", "1.0.0", config_handler, input_model=KeyInput, output_model=Said, config_model=Greeting
)

# -- the step form: typed contexts, retry policies, a checkpoint that changed -------------------------
STEPS = Workflow("s_typed", "1.0.0", input_model=KeyInput, output_model=Said, config_model=Greeting)


class Draft(BaseModel):
    text: str


@STEPS.step(retry=RetryPolicy(max_attempts=3, initial_delay_seconds=1))
def draft(ctx: StepContext[KeyInput, Greeting]) -> Draft:
    SIDE_EFFECTS[(ctx.input.key, "draft")] += 1
    ctx.state["attempted"] = True
    if FAILURES.get(ctx.input.key, 0) > 0:
        FAILURES[ctx.input.key] -= 1
        raise RetryableStepError("the model was busy")
    return Draft(text=f"{ctx.config.greeting} {ctx.input.key}")


@STEPS.step
def decide(ctx: StepContext[KeyInput, Greeting]) -> Said:
    name = "renamed" if ctx.input.key in RENAMED else "review"
    ctx.checkpoint(name, prompt="Send it?", payload={"at": 1, "total": 1})
    return Said(said=ctx.result_of(draft).text)


STEPS.checkpoints.update(
    {kind: CheckpointKind(type="approval", payload_model=Question) for kind in ("review", "renamed")}
)

WORKFLOWS = [LOOP, TIMERS, PARENT, FANOUT, DIVERGE, CONFIGURED, STEPS, DEADLINE]


# -- model calls: a provider that counts its calls, budgets ------------------------------------------
MODEL_CALLS: Counter[str] = Counter()


class CountingModel:
    """The scripted model, counting its calls per key (a replay must not call it again)."""

    def __init__(self, key: str) -> None:
        from agent_runtime.models.scripted import Script, ScriptedProvider, Turn

        self.key = key
        self.inner = ScriptedProvider(
            Script(turns=[Turn(text="hello there, {last_message}")], repeat_last=True)
        )

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def complete(self, request: Any, on_delta: Any = None) -> Any:
        MODEL_CALLS[self.key] += 1
        return self.inner.complete(request, on_delta)


class Chat(BaseModel):
    key: str
    calls: int = 2


class Said2(BaseModel):
    texts: list[str]
    approved: bool | None = None


@durable_execution
def chat_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    from agent_runtime.models.types import Message, ModelRequest
    from agent_runtime.workflows.agents import call_model

    texts = []
    for n in range(event["calls"]):
        request = ModelRequest(messages=[Message.of("user", f"turn {n}")], max_tokens=50)
        texts.append(
            call_model(context, request, name=f"model-{n}", model=CountingModel(event["key"])).message.text
        )
    answer = ask_human(context, "review", prompt="Good?", payload=Question(at=0, total=0))
    return {"texts": texts, "approved": answer.approved}


CHAT = durable_workflow(
    "d_chat",
    "1.0.0",
    chat_handler,
    input_model=Chat,
    output_model=Said2,
    checkpoints={"review": CheckpointKind(type="approval", payload_model=Question)},
)
WORKFLOWS.append(CHAT)

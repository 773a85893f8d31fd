"""Handlers of the AWS Durable Execution SDK that the differential test runs on both the runtime's service
side and the SDK's own local runner (tests/engine/durable/test_differential.py): one per thing the service
side must get right. Plain SDK code: nothing here knows which runner it is on."""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepError, durable_execution
from aws_durable_execution_sdk_python.config import (
    CallbackConfig,
    CompletionConfig,
    Duration,
    JitterStrategy,
    MapConfig,
    ParallelConfig,
    StepConfig,
)
from aws_durable_execution_sdk_python.exceptions import CallbackError, CallbackTimeoutError
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python.types import StepContext
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig, WaitForConditionDecision

from tests.engine.durable.differential import Case

NO_RETRY = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))


def _retries(attempts: int) -> StepConfig:
    return StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=attempts,
                initial_delay=Duration.from_seconds(2),
                backoff_rate=2,
                jitter_strategy=JitterStrategy.NONE,
            )
        )
    )


class PaymentDeclined(Exception):
    pass


@durable_execution
def steps(event: Any, context: DurableContext) -> dict[str, Any]:
    """Named and unnamed steps; results of every JSON kind, None included."""
    named = context.step(lambda _: {"n": event["n"], "tags": ["a", "b"]}, name="named")
    unnamed = context.step(lambda _: [1, 2.5, True, None])
    nothing = context.step(lambda _: None, name="nothing")
    text = context.step(lambda _: "", name="empty-string")
    return {"named": named, "unnamed": unnamed, "nothing": nothing, "text": text}


@durable_execution
def retries(event: Any, context: DurableContext) -> dict[str, Any]:
    """A step that fails twice then succeeds, and one that exhausts its attempts (caught)."""

    def flaky(step: StepContext) -> str:
        if step.attempt < 3:
            raise RuntimeError(f"attempt {step.attempt} failed")
        return f"attempt {step.attempt} worked"

    def always(_: StepContext) -> str:
        raise RuntimeError("never works")

    first = context.step(flaky, name="flaky", config=_retries(5))
    try:
        context.step(always, name="exhausted", config=_retries(3))
        exhausted = None
    except StepError as error:
        exhausted = {"type": error.error_type, "message": error.message}
    return {"first": first, "exhausted": exhausted}


@durable_execution
def retries_exhausted(event: Any, context: DurableContext) -> str:
    """Retries exhausted, not caught: the execution fails with the step's error."""

    def always(_: StepContext) -> str:
        raise ValueError("still broken")

    result: str = context.step(always, name="doomed", config=_retries(4))
    return result


@durable_execution
def waits(event: Any, context: DurableContext) -> list[str]:
    """Named and unnamed waits, one long (a day), between steps."""
    out = [context.step(lambda _: "before", name="before")]
    context.wait(Duration.from_seconds(5), name="short")
    context.wait(Duration.from_days(1))
    out.append(context.step(lambda _: "after", name="after"))
    return out


def _square(ctx: DurableContext, item: int, index: int, items: list[int]) -> int:
    return ctx.step(lambda _: item * item, name=f"square-{index}")


def _maybe_fail(ctx: DurableContext, item: int, index: int, items: list[int]) -> int:
    def work(_: StepContext) -> int:
        if item % 3 == 0:
            raise ValueError(f"item {item} is a multiple of three")
        return item * 10

    return ctx.step(work, name=f"work-{index}", config=NO_RETRY)


@durable_execution
def map_concurrency(event: Any, context: DurableContext) -> dict[str, Any]:
    """Map with a concurrency limit; map tolerating failures; map stopping at min_successful."""
    items = list(range(1, 9))
    limited = context.map(items, _square, name="limited", config=MapConfig(max_concurrency=2))
    tolerant = context.map(
        items,
        _maybe_fail,
        name="tolerant",
        config=MapConfig(max_concurrency=3, completion_config=CompletionConfig(tolerated_failure_count=5)),
    )
    enough = context.map(
        items,
        _square,
        name="enough",
        config=MapConfig(max_concurrency=1, completion_config=CompletionConfig(min_successful=3)),
    )
    return {
        "limited": limited.get_results(),
        "tolerant": sorted(tolerant.get_results()),
        "tolerant_failed": tolerant.failure_count,
        "enough": enough.get_results(),
        "enough_reason": str(enough.completion_reason),
    }


@durable_execution
def map_fails(event: Any, context: DurableContext) -> list[int]:
    """Map with no failures tolerated: the first failure fails it, throw_if_error fails the run."""
    result = context.map([1, 2, 3, 4], _maybe_fail, name="strict", config=MapConfig(max_concurrency=1))
    result.throw_if_error()
    return result.get_results()


@durable_execution
def parallel_branches(event: Any, context: DurableContext) -> dict[str, Any]:
    """Parallel branches with a concurrency limit, a wait in one, and all_completed with a failure."""

    def slow(ctx: DurableContext) -> str:
        ctx.wait(Duration.from_seconds(30), name="nap")
        return ctx.step(lambda _: "slow", name="slow-step")

    def fast(ctx: DurableContext) -> str:
        return ctx.step(lambda _: "fast", name="fast-step")

    def broken(ctx: DurableContext) -> str:
        def boom(_: StepContext) -> str:
            raise PaymentDeclined("card declined")

        return ctx.step(boom, name="broken-step", config=NO_RETRY)

    two = context.parallel([slow, fast], name="two", config=ParallelConfig(max_concurrency=1))
    every = context.parallel(
        [fast, broken, fast],
        name="every",
        config=ParallelConfig(max_concurrency=3, completion_config=CompletionConfig.all_completed()),
    )
    return {
        "two": two.get_results(),
        "every_ok": every.success_count,
        "every_failed": every.failure_count,
    }


@durable_execution
def child_contexts(event: Any, context: DurableContext) -> dict[str, Any]:
    """A child context, a nested one inside it, and a child context that fails (caught)."""

    def inner(ctx: DurableContext) -> str:
        ctx.wait(Duration.from_seconds(1), name="inner-wait")
        return ctx.step(lambda _: "deep", name="inner-step")

    def outer(ctx: DurableContext) -> dict[str, Any]:
        a = ctx.step(lambda _: "outer", name="outer-step")
        b = ctx.run_in_child_context(inner, name="inner")
        return {"a": a, "b": b}

    def failing(ctx: DurableContext) -> str:
        def boom(_: StepContext) -> str:
            raise KeyError("missing")

        return ctx.step(boom, name="boom", config=NO_RETRY)

    nested = context.run_in_child_context(outer, name="outer")
    try:
        context.run_in_child_context(failing, name="failing")
        caught = None
    except Exception as error:
        caught = type(error).__name__
    return {"nested": nested, "caught": caught}


@durable_execution
def failing_handler(event: Any, context: DurableContext) -> str:
    """The handler's own code raises after a step: the execution fails with that error."""
    context.step(lambda _: "done", name="before-failure")
    raise PaymentDeclined(f"order {event['order']} declined")


@durable_execution
def typed_error_caught(event: Any, context: DurableContext) -> dict[str, Any]:
    """A step raising a typed error; the handler catches the StepError, then replays across a wait."""

    def charge(_: StepContext) -> None:
        raise PaymentDeclined("insufficient funds")

    outcome: dict[str, Any] = {}
    try:
        context.step(charge, name="charge", config=NO_RETRY)
    except StepError as error:
        outcome = {"caught": type(error).__name__, "type": error.error_type, "message": error.message}
    context.wait(Duration.from_seconds(2), name="cool-down")
    outcome["after"] = context.step(lambda _: "refunded", name="refund")
    return outcome


@durable_execution
def wait_for_condition(event: Any, context: DurableContext) -> int:
    """Poll a counter until it reaches the target, waiting longer each time."""

    def check(state: int, _: Any) -> int:
        return state + 1

    def strategy(state: int, attempt: int) -> WaitForConditionDecision:
        if state >= event["target"]:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(Duration.from_seconds(attempt * 10))

    result: int = context.wait_for_condition(
        check, WaitForConditionConfig(wait_strategy=strategy, initial_state=0), name="counter"
    )
    return result


@durable_execution
def large_payloads(event: Any, context: DurableContext) -> dict[str, Any]:
    """Step and child-context results of ~300 KB; the handler returns their sizes."""
    size = event["kb"] * 1024
    blob = context.step(lambda _: "x" * size, name="big-step")
    rows = context.run_in_child_context(
        lambda ctx: [{"i": i, "pad": "y" * 1000} for i in range(event["kb"])], name="big-child"
    )
    return {"blob": len(blob), "rows": len(rows)}


@durable_execution
def callback_times_out(event: Any, context: DurableContext) -> dict[str, Any]:
    """A callback nobody answers within its timeout: CallbackTimeoutError, caught."""
    callback = context.create_callback(
        name="approval", config=CallbackConfig(timeout=Duration.from_seconds(1))
    )
    try:
        return {"answer": callback.result()}
    except CallbackTimeoutError as error:
        return {"timed_out": type(error).__name__}


@durable_execution
def callback_heartbeat_times_out(event: Any, context: DurableContext) -> dict[str, Any]:
    """A callback whose heartbeat timeout passes before its timeout (nobody sends a heartbeat)."""
    config = CallbackConfig(timeout=Duration.from_hours(1), heartbeat_timeout=Duration.from_seconds(2))
    callback = context.create_callback(name="approval", config=config)
    return {"answer": callback.result()}


@durable_execution
def callback_succeeds(event: Any, context: DurableContext) -> dict[str, Any]:
    """A callback answered, a step after it, and wait_for_callback whose submitter is a step."""
    callback = context.create_callback(name="approval", config=CallbackConfig(timeout=Duration.from_hours(1)))
    answer = callback.result()
    after = context.step(lambda _: "published", name="publish")
    second = context.wait_for_callback(lambda callback_id, _: None, name="second")
    return {"answer": answer, "after": after, "second": second}


@durable_execution
def callback_fails(event: Any, context: DurableContext) -> dict[str, Any]:
    """A callback answered with a failure: the handler sees CallbackError."""
    callback = context.create_callback(name="approval")
    try:
        return {"answer": callback.result()}
    except CallbackError as error:
        return {"failed": type(error).__name__, "message": error.message}


@durable_execution
def echo_target(event: Any, context: DurableContext) -> dict[str, Any]:
    return {"echo": context.step(lambda _: event, name="echo")}


@durable_execution
def failing_target(event: Any, context: DurableContext) -> None:
    raise PaymentDeclined("the child refused")


@durable_execution
def invokes(event: Any, context: DurableContext) -> dict[str, Any]:
    """A chained invoke of another durable function, and one whose target fails (caught)."""
    echoed = context.invoke("echo-target", {"hello": "child"}, name="echo")
    try:
        context.invoke("failing-target", {}, name="refused")
        refused = None
    except Exception as error:
        refused = type(error).__name__
    return {"echoed": echoed, "refused": refused}


CASES = [
    Case("steps", steps, {"n": 7}),
    Case("retries", retries, {}),
    Case("retries_exhausted", retries_exhausted, {}),
    Case("waits", waits, {}),
    Case("map_concurrency", map_concurrency, {}),
    Case("map_fails", map_fails, {}),
    Case("parallel_branches", parallel_branches, {}),
    Case("child_contexts", child_contexts, {}),
    Case("failing_handler", failing_handler, {"order": 42}),
    Case("typed_error_caught", typed_error_caught, {}),
    Case("wait_for_condition", wait_for_condition, {"target": 4}),
    Case("large_payloads", large_payloads, {"kb": 300}),
    Case("callback_times_out", callback_times_out, {}, callbacks="ignore"),
    Case("callback_heartbeat_times_out", callback_heartbeat_times_out, {}, callbacks="ignore"),
    Case("callback_succeeds", callback_succeeds, {}),
    Case("callback_fails", callback_fails, {}, callbacks="fail"),
    Case(
        "invokes",
        invokes,
        {},
        targets={"echo-target": echo_target, "failing-target": failing_target},
    ),
]

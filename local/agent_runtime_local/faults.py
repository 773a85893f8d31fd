"""Fault injection for the local stack: make chosen AWS calls throttle or fail (once, N times or
persistently), before or after they take effect, and kill a function's process right after a write.

Every client the runtime creates is watched (agent_runtime.aws.client_observers); with no fault armed
a call pays one list check. Faults are armed for a `with injected(...)` block, so a test's faults never
outlive it. A fault can be narrowed to the calls one function makes (the Lambda the call runs in) and
to calls whose parameters mention a string (a run id), so work of other runs is untouched.

`kill=True` models a Lambda process that dies after its write reached DynamoDB: the call's effect
stays, the rest of the invocation never runs, and the invocation fails the way Lambda reports a dead
runtime (Runtime.ExitError), which the state machine sees as the task's error.

A fault fires before the SDK's retry loop: what the caller sees is a call that failed after the SDK's
own retries gave up, the strictest form of a throttle.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from agent_runtime_local import permissions

_lock = threading.Lock()
_armed: list[Fault] = []


class FunctionKilled(BaseException):
    """The function's process died: no handler code may catch it (it is not an Exception)."""

    error_type = "Runtime.ExitError"


@dataclass
class Fault:
    """One armed fault. `operation` is "<service>:<Operation>" as the SDK names them, e.g.
    "dynamodb:TransactWriteItems", "states:StartExecution", "s3:PutObject", "sqs:SendMessage"."""

    operation: str
    error: str = "ThrottlingException"
    times: int | None = 1  # None: every matching call, for as long as the fault is armed
    function: str | None = None  # only calls made inside this function (manifest name)
    match: str | None = None  # only calls whose parameters mention this string
    after: bool = False  # let the call take effect, then fail it (the caller can't know it happened)
    kill: bool = False  # after the call took effect, the function's process dies
    hits: int = field(default=0, init=False)

    def _applies(self, operation: str, params: dict[str, Any]) -> bool:
        if operation != self.operation or (self.times is not None and self.hits >= self.times):
            return False
        if self.function is not None:
            running = permissions.current_function()
            if running is None or running.name != self.function:
                return False
        return self.match is None or self.match in json.dumps(params, default=str)


def _operation(model: Any) -> str:
    return f"{model.service_model.endpoint_prefix}:{model.name}"


def _take(operation: str, params: dict[str, Any], after: bool) -> Fault | None:
    with _lock:
        for fault in _armed:
            if (fault.after or fault.kill) == after and fault._applies(operation, params):
                fault.hits += 1
                return fault
    return None


def _raise(fault: Fault, operation: str) -> None:
    if fault.kill:
        raise FunctionKilled(f"injected: the process died after {operation}")
    message = f"injected fault ({fault.error}) on {operation}"
    raise ClientError({"Error": {"Code": fault.error, "Message": message}}, operation.split(":")[1])


def _before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    if not _armed:
        return
    context["fault_params"] = params  # for an `after` fault's match
    operation = _operation(model)
    fault = _take(operation, params, after=False)
    if fault is not None:
        _raise(fault, operation)


def _after(http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
    if not _armed or http_response.status_code >= 300:
        return
    operation = _operation(model)
    fault = _take(operation, context.get("fault_params", {}), after=True)
    if fault is not None:
        _raise(fault, operation)


def watch(client: Any) -> None:
    """Arm-able faults on every call `client` makes (registered on each client the runtime creates)."""
    events = client.meta.events
    events.register("before-parameter-build", _before)
    events.register("after-call", _after)


@contextmanager
def injected(*faults: Fault) -> Iterator[tuple[Fault, ...]]:
    """Arm `faults` for the block; yields them so a test can read how often each fired (`hits`)."""
    with _lock:
        _armed.extend(faults)
    try:
        yield faults
    finally:
        with _lock:
            for fault in faults:
                _armed.remove(fault)

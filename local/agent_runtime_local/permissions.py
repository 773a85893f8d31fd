"""The local stack holds each function to its manifest grants, as IAM does in the cloud.

Every AWS call a handler makes is mapped to the IAM actions it needs and checked against the actions
its grants allow (functions/manifest.py GRANT_ACTIONS, the same table infra/ turns into policies). A
call outside them fails as it would on AWS, with AccessDeniedException, and is recorded, so a function
that lacks a grant fails a test here instead of a request in the cloud. Calls made outside any
function (the local stack's own setup and pollers, tests) are not checked.
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from functions import manifest

_running: contextvars.ContextVar[manifest.FunctionSpec | None] = contextvars.ContextVar(
    "running_function", default=None
)
_lock = threading.Lock()
# Which actions each function used, and the calls refused (function, action, operation).
used: dict[str, set[str]] = {}
denied: list[Denial] = []

# Operations whose IAM action is not "<service>:<operation>".
_ACTION_OF = {
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("dynamodb", "TransactGetItems"): ("dynamodb:GetItem",),
    ("bedrock", "Converse"): ("bedrock:InvokeModel",),
    ("bedrock", "ConverseStream"): ("bedrock:InvokeModelWithResponseStream",),
}
_TRANSACT_ACTION = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


@dataclass(frozen=True)
class Denial:
    function: str
    action: str
    operation: str


@contextmanager
def running(spec: manifest.FunctionSpec) -> Iterator[None]:
    """AWS calls made inside are `spec`'s (the calling thread's, as in a Lambda invocation)."""
    token = _running.set(spec)
    try:
        yield
    finally:
        _running.reset(token)


def current_function() -> manifest.FunctionSpec | None:
    """The function whose invocation the calling thread is running, if any."""
    return _running.get()


def as_function(spec: manifest.FunctionSpec, handler: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(event: Any, context: Any) -> Any:
        with running(spec):
            return handler(event, context)

    return invoke


def required_actions(prefix: str, operation: str, params: dict[str, Any]) -> tuple[str, ...]:
    """The IAM actions one call needs (`prefix` is the service's signing name: dynamodb, s3, states)."""
    if (prefix, operation) == ("dynamodb", "TransactWriteItems"):
        return tuple(
            sorted({_TRANSACT_ACTION[next(iter(item))] for item in params.get("TransactItems") or []})
        )
    return _ACTION_OF.get((prefix, operation), (f"{prefix}:{operation}",))


def _check(params: dict[str, Any], model: Any, **_: Any) -> None:
    spec = _running.get()
    if spec is None:
        return
    needed = required_actions(model.service_model.signing_name, model.name, params)
    allowed = manifest.allowed_actions(spec)
    missing = [action for action in needed if action not in allowed]
    with _lock:
        used.setdefault(spec.name, set()).update(a for a in needed if a in allowed)
        denied.extend(Denial(spec.name, action, model.name) for action in missing)
    if missing:
        message = f"function {spec.name} is not granted {', '.join(missing)} (functions/manifest.py)"
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, model.name)


def watch(client: Any) -> None:
    """Check every call `client` makes (registered on each client the runtime creates)."""
    client.meta.events.register("before-parameter-build", _check)


def report() -> str:
    """What each function used, one line each (for finding grants no code needs)."""
    with _lock:
        return json.dumps({name: sorted(actions) for name, actions in sorted(used.items())}, indent=1)

"""Route moto's Lambda invocations to our handlers, in-process.

moto runs Lambda code in Docker through one private method, `LambdaFunction._invoke_lambda(self,
event) -> (result_json, errored, logs)`. Replacing it covers `lambda.invoke` and every Step Functions
Lambda task. It is private: moto is pinned to 5.2.x and tests/local/test_moto_hook.py fails
loudly if the hook changes.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from agent_runtime_local import faults, permissions
from functions import manifest

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
HOOK_NAME = "_invoke_lambda"


class LocalLambdaContext:
    """The parts of the Lambda context object our handlers use."""

    def __init__(self, spec: manifest.FunctionSpec) -> None:
        self.function_name = spec.name
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{spec.name}"
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def resolve_handler(spec: manifest.FunctionSpec) -> Handler:
    """The function's handler, holding the AWS calls it makes to the function's grants."""
    module = importlib.import_module(spec.module)
    return permissions.as_function(spec, getattr(module, spec.attribute))


def invoke(function_name: str, event: Any) -> tuple[str, bool, str]:
    """Run the manifest's handler for `function_name` the way the Lambda Python runtime would."""
    spec = manifest.by_name(function_name)
    payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
    try:
        result = resolve_handler(spec)(payload, LocalLambdaContext(spec))
        return json.dumps(result), False, ""
    except (Exception, faults.FunctionKilled) as error:
        trace = traceback.format_exc()
        log.info("function %s raised %s: %s", function_name, type(error).__name__, error)
        body = {
            "errorType": getattr(error, "error_type", type(error).__name__),
            "errorMessage": str(error),
            "stackTrace": trace.splitlines(),
        }
        return json.dumps(body), True, trace


def install() -> None:
    """Patch moto so every Lambda invocation runs in this process."""
    from moto.awslambda.models import LambdaFunction

    original = getattr(LambdaFunction, HOOK_NAME, None)
    if original is None or list(inspect.signature(original).parameters) != ["self", "event"]:
        raise RuntimeError(
            f"moto's LambdaFunction.{HOOK_NAME}(self, event) changed; the local stack cannot route "
            "Lambda invocations. Check the pinned moto version."
        )

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return invoke(self.function_name, event)

    setattr(LambdaFunction, HOOK_NAME, _invoke_lambda)

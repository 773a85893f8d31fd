"""Why a model call failed, in terms a caller can act on."""

from __future__ import annotations


class ModelError(Exception):
    """The provider refused or failed the call. `retryable`: throttling, a timeout or the provider's
    5xx, worth another attempt later; otherwise the request itself is wrong (bad model id, access
    denied, too long a prompt) and trying again changes nothing."""

    def __init__(self, message: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class ModelConfigError(ValueError):
    """AGENT_RUNTIME_MODEL (or a per-call override) names no provider this runtime has."""


class ScriptExhausted(ModelError):
    """The scripted model has no turn for this request (a test's script is too short)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, code="ScriptExhausted")

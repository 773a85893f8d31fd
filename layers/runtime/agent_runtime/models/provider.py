"""The one call every model provider makes, and which provider a spec names.

A spec is `scripted` (the default: no credentials, deterministic), `scripted:<path to a JSON script>`,
`bedrock:<model id or inference profile>` or `openai:<model>`. AGENT_RUNTIME_MODEL sets the default;
a workflow or a call passes its own to override it. Providers import their SDKs only when chosen.
"""

from __future__ import annotations

import os
from typing import Protocol

from agent_runtime.models.errors import ModelConfigError
from agent_runtime.models.types import ModelRequest, ModelResponse, OnDelta

ENVIRONMENT = "AGENT_RUNTIME_MODEL"
DEFAULT_SPEC = "scripted"
PROVIDERS = ("scripted", "bedrock", "openai")


class ModelProvider(Protocol):
    @property
    def model_id(self) -> str:
        """`<provider>:<model>`, as responses and the usage ledger name it."""
        ...

    def complete(self, request: ModelRequest, on_delta: OnDelta | None = None) -> ModelResponse:
        """Call the model once. With `on_delta`, stream: it gets the answer's text as it comes, in
        order, before this returns the whole response."""
        ...


def configured_spec(override: str | None = None) -> str:
    return (override or os.environ.get(ENVIRONMENT) or DEFAULT_SPEC).strip()


def split_spec(spec: str) -> tuple[str, str]:
    """("bedrock", "amazon.nova-lite-v1:0") for "bedrock:amazon.nova-lite-v1:0"; ModelConfigError when
    the provider is unknown or a model is missing."""
    provider, _, model = spec.partition(":")
    if provider not in PROVIDERS:
        raise ModelConfigError(
            f"unknown model provider {provider!r} in {spec!r}: one of {', '.join(PROVIDERS)}"
        )
    if provider != "scripted" and not model:
        raise ModelConfigError(f"{spec!r} names no model: write {provider}:<model id>")
    return provider, model


def provider_for(spec: str | None = None) -> ModelProvider:
    """The provider `spec` (or AGENT_RUNTIME_MODEL, or the scripted default) names."""
    provider, model = split_spec(configured_spec(spec))
    if provider == "bedrock":
        from agent_runtime.models.bedrock import BedrockProvider

        return BedrockProvider(model)
    if provider == "openai":
        from agent_runtime.models.openai_compat import OpenAIProvider

        return OpenAIProvider(model)
    from agent_runtime.models.scripted import ScriptedProvider, load_script

    return ScriptedProvider(load_script(model) if model else None)

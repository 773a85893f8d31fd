"""Model calls: one protocol (`ModelProvider.complete`), three providers (scripted, Amazon Bedrock,
OpenAI-compatible), chosen by configuration. No door or engine imports: workflow code and the engine's
durable operations build on this."""

from agent_runtime.models.errors import ModelConfigError, ModelError, ScriptExhausted
from agent_runtime.models.provider import ModelProvider, configured_spec, provider_for
from agent_runtime.models.types import (
    Message,
    ModelRequest,
    ModelResponse,
    OnDelta,
    Part,
    StopReason,
    TextDelta,
    TextPart,
    Tool,
    ToolResultPart,
    ToolUsePart,
    Usage,
)

__all__ = [
    "Message",
    "ModelConfigError",
    "ModelError",
    "ModelProvider",
    "ModelRequest",
    "ModelResponse",
    "OnDelta",
    "Part",
    "ScriptExhausted",
    "StopReason",
    "TextDelta",
    "TextPart",
    "Tool",
    "ToolResultPart",
    "ToolUsePart",
    "Usage",
    "configured_spec",
    "provider_for",
]

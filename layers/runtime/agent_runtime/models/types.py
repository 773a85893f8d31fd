"""What a model call takes and gives back, the same for every provider.

Plain pydantic models that round-trip through JSON: a call's response is stored as the result of a
durable operation and read back on replay instead of calling the model again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextPart(_Model):
    type: Literal["text"] = "text"
    text: str


class ToolUsePart(_Model):
    """The model asks for a tool: `id` pairs it with the ToolResultPart that answers it."""

    type: Literal["tool_use"] = "tool_use"
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    arguments: dict[str, JsonValue] = Field(default_factory=dict)


class ToolResultPart(_Model):
    type: Literal["tool_result"] = "tool_result"
    tool_use_id: str = Field(min_length=1)
    content: str | dict[str, JsonValue]
    is_error: bool = False


Part = Annotated[TextPart | ToolUsePart | ToolResultPart, Field(discriminator="type")]
Role = Literal["system", "user", "assistant", "tool"]


class Message(_Model):
    role: Role
    parts: list[Part]

    @classmethod
    def of(cls, role: Role, text: str) -> Message:
        return cls(role=role, parts=[TextPart(text=text)])

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolUsePart]:
        return [p for p in self.parts if isinstance(p, ToolUsePart)]


class Tool(_Model):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class ModelRequest(_Model):
    messages: list[Message] = Field(min_length=1)
    tools: list[Tool] = Field(default_factory=list)
    max_tokens: int = Field(default=1024, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)


StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "content_filtered"]


class Usage(_Model):
    """Tokens as the provider billed them. `input_tokens` excludes the cached ones: `cached_tokens`
    were read from the prompt cache, `cache_write_tokens` written to it (each priced apart)."""

    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cached_tokens: int = Field(default=0, ge=0)
    cache_write_tokens: int = Field(default=0, ge=0)


class ModelResponse(_Model):
    message: Message
    stop_reason: StopReason
    usage: Usage
    # "<provider>:<provider's model id>", e.g. "bedrock:amazon.nova-lite-v1:0": the ledger's key.
    model_id: str


class TextDelta(_Model):
    """A piece of the answer's text as it streams; `index` counts the call's deltas from 0."""

    index: int = Field(ge=0)
    text: str


# What a streaming call hands each piece of text to.
OnDelta = Callable[[TextDelta], None]

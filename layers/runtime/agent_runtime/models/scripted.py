"""A model that answers from a script: deterministic text, tool calls and token timing, no credentials.

The default provider (`make dev`, tests). A script is a list of turns. A turn with a `when` rule answers
any request whose last message matches it (first match wins); the others answer in order, the n-th one
the request that already holds n assistant messages, so a replayed or resumed conversation gets the same
answer without any state kept here. Text streams a token (a word with its leading space) at a time at
`tokens_per_second`, paced against the start so a slow callback doesn't stretch the whole answer.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from agent_runtime.models.errors import ModelConfigError, ScriptExhausted
from agent_runtime.models.types import (
    Message,
    ModelRequest,
    ModelResponse,
    OnDelta,
    Part,
    Role,
    StopReason,
    TextDelta,
    TextPart,
    ToolResultPart,
    ToolUsePart,
    Usage,
)

RATE_ENVIRONMENT = "AGENT_RUNTIME_SCRIPTED_TOKENS_PER_SECOND"
TOKEN = re.compile(r"\s*\S+|\s+")
LAST_MESSAGE = "{last_message}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Model):
    """Matches the request's last message: all the given conditions hold."""

    role: Role | None = None
    contains: str | None = None
    pattern: str | None = Field(default=None, description="a regular expression searched in its text")

    def matches(self, message: Message) -> bool:
        text = _message_text(message)
        return (
            (self.role is None or message.role == self.role)
            and (self.contains is None or self.contains in text)
            and (self.pattern is None or re.search(self.pattern, text) is not None)
        )


class ScriptedToolCall(_Model):
    name: str = Field(min_length=1)
    arguments: dict[str, JsonValue] = Field(default_factory=dict)
    id: str | None = None  # default: "call_<turn>_<n>", the same on every replay


class Turn(_Model):
    when: Rule | None = None
    # "{last_message}" is replaced by the text of the request's last message.
    text: str = ""
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    stop_reason: StopReason | None = None  # default: tool_use with tool calls, else end_turn
    tokens_per_second: float | None = Field(default=None, gt=0)


class Script(_Model):
    turns: list[Turn] = Field(min_length=1)
    # Past the last in-order turn: answer with it again, or fail with ScriptExhausted.
    repeat_last: bool = False
    tokens_per_second: float | None = Field(default=None, gt=0)  # None: as fast as the caller takes them
    name: str = "scripted"


DEFAULT_SCRIPT = Script(turns=[Turn(text=f"You said: {LAST_MESSAGE}")], repeat_last=True)


def load_script(path: str) -> Script:
    try:
        return Script.model_validate_json(Path(path).read_text())
    except (OSError, ValidationError) as error:
        raise ModelConfigError(f"scripted model: can't use the script {path!r}: {error}") from error


def tokens(text: str) -> list[str]:
    """Words with their leading whitespace: joined, they give the text back."""
    return TOKEN.findall(text)


class ScriptedProvider:
    def __init__(
        self,
        script: Script | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.script = script or DEFAULT_SCRIPT
        self._sleep = sleep
        self._clock = clock

    @property
    def model_id(self) -> str:
        return "scripted" if self.script.name == "scripted" else f"scripted:{self.script.name}"

    def complete(self, request: ModelRequest, on_delta: OnDelta | None = None) -> ModelResponse:
        number, turn = self._turn(request)
        text = turn.text.replace(LAST_MESSAGE, _message_text(request.messages[-1]))
        pieces = tokens(text)
        budget = request.max_tokens
        stop: StopReason | None = None
        if len(pieces) > budget:
            pieces, stop = pieces[:budget], "max_tokens"
        rate = turn.tokens_per_second or self.script.tokens_per_second or _rate_from_environment()
        started = self._clock()
        for index, piece in enumerate(pieces):
            if rate:
                self._sleep(max(0.0, started + (index + 1) / rate - self._clock()))
            if on_delta is not None:
                on_delta(TextDelta(index=index, text=piece))
        parts: list[Part] = [TextPart(text="".join(pieces))] if pieces else []
        calls = [] if stop else turn.tool_calls
        parts += [
            ToolUsePart(id=call.id or f"call_{number}_{n}", name=call.name, arguments=call.arguments)
            for n, call in enumerate(calls)
        ]
        output = len(pieces) + sum(len(tokens(json.dumps(c.arguments))) + 1 for c in calls)
        return ModelResponse(
            message=Message(role="assistant", parts=parts),
            stop_reason=stop or turn.stop_reason or ("tool_use" if calls else "end_turn"),
            usage=Usage(input_tokens=_input_tokens(request), output_tokens=output),
            model_id=self.model_id,
        )

    def _turn(self, request: ModelRequest) -> tuple[int, Turn]:
        last = request.messages[-1]
        for number, turn in enumerate(self.script.turns):
            if turn.when is not None and turn.when.matches(last):
                return number, turn
        ordered = [(n, t) for n, t in enumerate(self.script.turns) if t.when is None]
        answered = sum(1 for m in request.messages if m.role == "assistant")
        if answered < len(ordered):
            return ordered[answered]
        if ordered and self.script.repeat_last:
            return ordered[-1]
        raise ScriptExhausted(
            f"the script {self.script.name!r} has no turn for a request with {answered} assistant "
            f"message(s) and none of its rules matches the last message"
        )


def _rate_from_environment() -> float | None:
    raw = os.environ.get(RATE_ENVIRONMENT, "")
    return float(raw) if raw else None


def _message_text(message: Message) -> str:
    texts: list[str] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolResultPart):
            texts.append(part.content if isinstance(part.content, str) else json.dumps(part.content))
    return "".join(texts)


def _input_tokens(request: ModelRequest) -> int:
    """A deterministic stand-in for a tokenizer: words in the messages, tool calls and tool schemas."""
    count = 0
    for message in request.messages:
        count += len(tokens(_message_text(message)))
        count += sum(
            len(tokens(json.dumps(p.arguments))) for p in message.parts if isinstance(p, ToolUsePart)
        )
    count += sum(len(tokens(json.dumps(t.model_dump()))) for t in request.tools)
    return count

"""`echo_agent` 0.1.0: the ACP sample echo agent, so ACP users can try threads and interrupts at once.

It echoes the last human message as an `ai` message (optionally upper/lower-cased). On a thread it
continues the conversation: the thread's messages come first. With `interrupt_count` it first asks, that
many times, for the next message to echo (an ACP interrupt; resume with {"messages": [...]}).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_runtime.workflows import CheckpointKind, StepContext, Workflow


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Message")
    type: Literal["human", "assistant", "ai"] = Field(description="who wrote it: a human or an assistant")
    content: str = Field(description="the content of the message")


class Messages(BaseModel):
    model_config = ConfigDict(extra="forbid", title="InputState")
    messages: list[Message] | None


class OutputState(BaseModel):
    model_config = ConfigDict(title="OutputState")
    messages: list[Message] | None = None


class EchoConfig(BaseModel):
    # The ACP sample also knows sleep_secs and log_level; they are accepted and ignored.
    model_config = ConfigDict(extra="ignore", title="ConfigSchema")
    to_upper: bool = Field(default=False, description="If true, convert text to upper before echoing.")
    to_lower: bool = Field(default=False, description="If true, convert text to lower before echoing.")
    interrupt_count: int = Field(
        default=0, ge=0, le=1000, description="Interrupts to send before the output."
    )


echo_agent = Workflow(
    "echo_agent",
    "0.1.0",
    input_model=Messages,
    output_model=OutputState,
    config_model=EchoConfig,
    description="Echoes the last human message (the ACP sample echo agent): threads, interrupts, config.",
    checkpoints={
        "echo_interrupt": CheckpointKind(
            "input",
            payload_model=Messages,
            response_model=Messages,
            description="Input message echoed as interrupt payload; resume with the next message to echo.",
        )
    },
)


def _echo(messages: list[dict[str, Any]], config: EchoConfig) -> dict[str, Any]:
    text = next((m["content"] for m in reversed(messages) if m.get("type") == "human"), "")
    if config.to_upper:
        text = text.upper()
    elif config.to_lower:
        text = text.lower()
    return {"type": "ai", "content": text}


@echo_agent.step
def echo(ctx: StepContext) -> dict[str, Any]:
    history = [m for m in (ctx.thread or {}).get("messages") or [] if isinstance(m, dict) and "type" in m]
    incoming = [m.model_dump() for m in ctx.input.messages or []]
    for _ in range(ctx.config.interrupt_count):
        answer = ctx.checkpoint(
            "echo_interrupt",
            prompt="Send the next message to echo",
            payload={"messages": [_echo(incoming, ctx.config)]},
        )
        if answer.decision == "submitted" and answer.data:
            history, incoming = (
                history + incoming + [_echo(incoming, ctx.config)],
                answer.data.get("messages") or [],
            )
    return {"messages": history + incoming + [_echo(incoming, ctx.config)]}


WORKFLOWS = [echo_agent]

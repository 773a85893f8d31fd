"""`echo_agent` 0.1.0: the ACP SDK's reference echo agent (agntcy/acp-sdk examples/echo-agent), so ACP
users can try threads and interrupts at once, and the SDK's own test-client scenarios pass unchanged.

Its output is the input's messages followed by an `assistant` echo of the last human message (optionally
upper/lower-cased). The input's messages replace the conversation: on a thread too, a run's output is
its own input plus the reply (the thread keeps it as its new state). With `interrupt_count` it first
asks, that many times, with an `echo_interrupt` interrupt carrying the conversation so far (the input
and the echo); the resume's messages replace the conversation, and the next echo answers them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_runtime.workflows import CheckpointKind, StepContext, Workflow


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Message")
    # "ai" is accepted as an older name of "assistant" (this agent's replies said "ai" before).
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
    description="Echoes the last human message (the ACP SDK's reference echo agent): interrupts, config.",
    checkpoints={
        "echo_interrupt": CheckpointKind(
            "input",
            payload_model=Messages,
            response_model=Messages,
            description="Input message echoed as interrupt payload; resume with the next message to echo.",
        )
    },
)


def _echo(messages: list[dict[str, Any]], config: EchoConfig) -> list[dict[str, Any]]:
    """The messages plus an assistant echo of the last human one (unchanged when there is none)."""
    human = next((m for m in reversed(messages) if m.get("type") == "human"), None)
    if human is None:
        return messages
    text = str(human["content"])
    if config.to_lower:
        text = text.lower()
    elif config.to_upper:
        text = text.upper()
    return [*messages, {"type": "assistant", "content": text}]


@echo_agent.step
def echo(ctx: StepContext) -> dict[str, Any]:
    conversation = _echo([m.model_dump() for m in ctx.input.messages or []], ctx.config)
    for _ in range(ctx.config.interrupt_count):
        answer = ctx.checkpoint(
            "echo_interrupt",
            prompt="Send the next message to echo",
            payload={"messages": conversation},
        )
        if answer.decision == "submitted" and answer.data:
            conversation = _echo(list(answer.data.get("messages") or []), ctx.config)
    return {"messages": conversation}


WORKFLOWS = [echo_agent]

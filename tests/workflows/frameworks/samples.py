"""Agents written with other frameworks, hosted as workflows (agent_runtime.frameworks), loaded as
operators load theirs: AGENT_RUNTIME_WORKFLOW_MODULES. Their models are the frameworks' own test
models; CALLS counts what really ran (the stack's workers share the test process), so a test can
prove that a replay called no model and no tool again."""

from __future__ import annotations

from collections import Counter
from typing import TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

from agent_runtime.frameworks.langgraph import langgraph_workflow
from agent_runtime.frameworks.pydantic_ai import RuntimeDurability, pydantic_ai_workflow
from agent_runtime.workflows.sdk import Workflow

# (what, key) -> how many times it really ran; the key is the prompt, unique per test.
CALLS: Counter[tuple[str, str]] = Counter()


def _prompt(messages: list[ModelMessage]) -> str:
    first = messages[0]
    for part in getattr(first, "parts", []):
        if getattr(part, "part_kind", "") == "user-prompt":
            return str(part.content)
    return ""


def _returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    return [
        part
        for message in messages
        for part in getattr(message, "parts", [])
        if isinstance(part, ToolReturnPart)
    ]


def _support(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Looks the order up, then refunds it (a tool that needs approval), then answers."""
    key = _prompt(messages)
    CALLS[("model", key)] += 1
    returns = {part.tool_name: part for part in _returns(messages)}
    if "lookup" not in returns:
        return ModelResponse(parts=[ToolCallPart("lookup", {"order": key})])
    if "refund" not in returns:
        return ModelResponse(parts=[ToolCallPart("refund", {"order": key, "amount": 30})])
    return ModelResponse(parts=[TextPart(f"refund: {returns['refund'].content}")])


async def _support_stream(messages: list[ModelMessage], info: AgentInfo):  # type: ignore[no-untyped-def]
    response = _support(messages, info)
    for part in response.parts:
        if isinstance(part, TextPart):
            words = part.content.split(" ")
            for i, word in enumerate(words):
                yield word if i == 0 else " " + word
        elif isinstance(part, ToolCallPart):
            yield {0: DeltaToolCall(name=part.tool_name, json_args=part.args_as_json_str())}


support_agent = Agent(
    FunctionModel(_support, stream_function=_support_stream),
    name="support",
    capabilities=[RuntimeDurability()],
)


@support_agent.tool_plain
def lookup(order: str) -> str:
    CALLS[("lookup", order)] += 1
    return f"order {order}: 30 USD, delivered"


@support_agent.tool_plain(requires_approval=True)
def refund(order: str, amount: int) -> str:
    CALLS[("refund", order)] += 1
    return f"refunded {amount} USD on {order}"


SUPPORT = pydantic_ai_workflow("fw_support", "1.0.0", support_agent)

WORKFLOWS: list[Workflow] = [SUPPORT]


# -- LangGraph: draft with a chat model, a person reviews (interrupt), publish ------------------------


class ReviewState(TypedDict, total=False):
    topic: str
    draft: str
    verdict: str
    published: bool


def _chat_model() -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content="a short draft about durable graphs")]))


def _draft(state: ReviewState) -> ReviewState:
    CALLS[("draft", state["topic"])] += 1
    reply = _chat_model().invoke(f"Draft a note about {state['topic']}")
    return {"draft": str(reply.content)}


def _review(state: ReviewState) -> ReviewState:
    CALLS[("review", state["topic"])] += 1
    verdict = interrupt({"question": "Publish this draft?", "draft": state["draft"]})
    return {"verdict": str(verdict)}


def _publish(state: ReviewState) -> ReviewState:
    CALLS[("publish", state["topic"])] += 1
    return {"published": state["verdict"] == "yes"}


_builder = StateGraph(ReviewState)
_builder.add_node("draft", _draft)
_builder.add_node("review", _review)
_builder.add_node("publish", _publish)
_builder.add_edge(START, "draft")
_builder.add_edge("draft", "review")
_builder.add_edge("review", "publish")
_builder.add_edge("publish", END)


class ReviewInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str


REVIEW = langgraph_workflow("fw_review", "1.0.0", _builder.compile(name="review"), input_model=ReviewInput)

WORKFLOWS += [REVIEW]

"""`research_agent` 1.0.0: a model-driven agent written as durable code.

It answers a question over a small bundled corpus: the model chooses tools (`search`, `read`,
`publish`), each model call and each tool call is a durable operation (a resumed run never calls either
again), its answer streams as `message.delta` events, a person reviews every `publish` call (accept,
edit the title or summary, respond with a message the model reads instead, or ignore it), it stays
within the run's budget, and it ends with a report artifact. Offline (no AGENT_RUNTIME_MODEL) a scripted
model drives it; with `AGENT_RUNTIME_MODEL=bedrock:<model id>` a real one does.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agent_runtime.workflows.agents import call_model, review_tool_call, tool_approval
from agent_runtime.workflows.durable import durable_workflow, save_artifact

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext

CORPUS = {
    "durable-execution": (
        "Durable execution",
        "A durable function checkpoints each step; after a crash or a wait it replays completed steps "
        "from the store instead of running them again, so side effects happen once.",
    ),
    "human-in-the-loop": (
        "Humans in the loop",
        "A checkpoint parks a run at no compute cost until a person answers; the answer is applied "
        "exactly once, from whichever door it arrives.",
    ),
    "budgets": (
        "Budgets",
        "A run may carry a model budget; before a call that would exceed it the run pauses and shows its "
        "spend, and a person raises the budget or stops the run.",
    ),
}


class ResearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid", title="ResearchInput")
    question: str = Field(min_length=1, max_length=2000)
    max_turns: int = Field(default=6, ge=1, le=20)


class ResearchOutput(BaseModel):
    model_config = ConfigDict(title="ResearchOutput")
    answer: str
    sources: list[str]
    published: dict[str, Any] | None
    report_artifact_id: str


class PublishArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", title="PublishArgs")
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=4000)


def search(query: str) -> list[dict[str, str]]:
    words = {w for w in query.lower().replace("-", " ").split() if len(w) > 2}
    hits = [
        {"doc_id": doc_id, "title": title}
        for doc_id, (title, text) in CORPUS.items()
        if words & set(f"{doc_id} {title} {text}".lower().replace("-", " ").split())
    ]
    return hits or [{"doc_id": doc_id, "title": title} for doc_id, (title, _) in CORPUS.items()]


def read(doc_id: str) -> str:
    title, text = CORPUS.get(doc_id, ("Not found", f"there is no document {doc_id!r}"))
    return f"{title}: {text}"


TOOLS = [
    {
        "name": "search",
        "description": "Search the corpus; returns matching document ids and titles.",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
    {
        "name": "read",
        "description": "Read one document of the corpus by its id.",
        "input_schema": {
            "type": "object",
            "properties": {"doc_id": {"type": "string"}},
            "required": ["doc_id"],
        },
    },
    {
        "name": "publish",
        "description": "Publish the findings (a person reviews it first).",
        "input_schema": PublishArgs.model_json_schema(),
    },
]

# The scripted model's turns, by how many answers it gave already: search, read, publish, answer.
SCRIPT = {
    "name": "research",
    "tokens_per_second": 60,
    "turns": [
        {"tool_calls": [{"name": "search", "arguments": {"query": "durable execution replay"}}]},
        {"tool_calls": [{"name": "read", "arguments": {"doc_id": "durable-execution"}}]},
        {
            "tool_calls": [
                {
                    "name": "publish",
                    "arguments": {
                        "title": "Durable execution in one paragraph",
                        "summary": "Completed steps replay from the store, so side effects happen once.",
                    },
                }
            ]
        },
        {
            "text": "Durable execution checkpoints every step and replays finished ones from the store "
            "after a crash or a wait, so each model and tool call happens once (source: durable-execution)."
        },
    ],
}


def _model() -> Any:
    """A real model when one is configured, else the bundled script (offline)."""
    if os.environ.get("AGENT_RUNTIME_MODEL"):
        return None
    from agent_runtime.models.scripted import Script, ScriptedProvider

    return ScriptedProvider(Script.model_validate(SCRIPT))


def _publish(arguments: dict[str, Any], _: object) -> dict[str, Any]:
    return dict(arguments)


def _run_tool(name: str, arguments: dict[str, Any], _: object) -> Any:
    if name == "search":
        return search(str(arguments.get("query", "")))
    if name == "read":
        return read(str(arguments.get("doc_id", "")))
    return {"error": f"no tool {name!r}"}


# Not decorated with @durable_execution: durable_workflow does that when a run first executes it.
def research(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    from agent_runtime.models.types import Message, ModelRequest, Tool, ToolResultPart

    tools = [Tool.model_validate(tool) for tool in TOOLS]
    messages = [
        Message.of("system", "Answer from the corpus: search, read, publish your findings, then answer."),
        Message.of("user", event["question"]),
    ]
    sources: list[str] = []
    published: dict[str, Any] | None = None
    answer = ""
    model = _model()
    for turn in range(event["max_turns"]):
        request = ModelRequest(messages=messages, tools=tools, max_tokens=512)
        response = call_model(context, request, name=f"model-{turn}", model=model)
        messages.append(response.message)
        answer = response.message.text or answer
        if not response.message.tool_calls:
            break
        results: list[ToolResultPart] = []
        for call in response.message.tool_calls:
            if call.name == "publish":
                decision = review_tool_call(
                    context, "approve_publish", call, prompt="Publish these findings?"
                )
                if decision.runs:
                    published = context.step(
                        functools.partial(_publish, decision.arguments), name=f"publish-{turn}"
                    )
                    content: Any = {"published": True, **(published or {})}
                elif decision.action == "respond":
                    content = decision.message or ""
                else:
                    content = "The reviewer chose not to publish."
            else:
                content = context.step(
                    functools.partial(_run_tool, call.name, dict(call.arguments)), name=f"{call.name}-{turn}"
                )
                if call.name == "read":
                    sources.append(str(call.arguments.get("doc_id", "")))
            results.append(ToolResultPart(tool_use_id=call.id, content=_as_content(content)))
        messages.append(Message(role="tool", parts=list(results)))
    report = "\n".join(
        [f"# {event['question']}", "", answer, "", "Sources: " + (", ".join(sources) or "none")]
    )
    artifact_id = context.step(lambda _: save_artifact("report.md", report + "\n"), name="report")
    return {"answer": answer, "sources": sources, "published": published, "report_artifact_id": artifact_id}


def _as_content(value: Any) -> Any:
    if isinstance(value, str | dict):
        return value
    return {"result": value}


research_agent = durable_workflow(
    "research_agent",
    "1.0.0",
    research,
    input_model=ResearchInput,
    output_model=ResearchOutput,
    description="A model-driven agent: search and read a corpus, publish after review, stream, report.",
    checkpoints={"approve_publish": tool_approval("publish", PublishArgs)},
)

WORKFLOWS = [research_agent]

"""The official `mcp` client driving a task: the SDK has no Tasks client of its own, but its extension
interface (`ClientExtension`, `ResultClaim`) lets a client claim `resultType: "task"` on tools/call and
resolve it with tasks/get and tasks/update sent through the SDK's session (which sets Mcp-Name to the
task id, as SEP-2663 asks). A person answering the checkpoint is the `answer` callback."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import anyio
import httpx2
from mcp import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, EmptyResult, Request, RequestParams, Result
from pydantic import ConfigDict, Field

TASKS = "io.modelcontextprotocol/tasks"


class TaskParams(RequestParams):
    task_id: str


class UpdateParams(TaskParams):
    input_responses: dict[str, Any]


class GetTask(Request[TaskParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    name_param = "taskId"


class UpdateTask(Request[UpdateParams, Literal["tasks/update"]]):
    method: Literal["tasks/update"] = "tasks/update"
    name_param = "taskId"


class CreatedTask(Result):
    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"] = Field(alias="resultType")
    task_id: str
    status: str


class TaskState(Result):
    model_config = ConfigDict(extra="allow")
    task_id: str
    status: str


class Tasks(ClientExtension):
    identifier = TASKS

    def __init__(self, answer: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.answer = answer
        self.seen: list[str] = []  # the statuses the client saw, in order

    def claims(self) -> Sequence[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreatedTask, resolve=self.resolve)]

    async def resolve(self, created: CreatedTask, ctx: ClaimContext) -> CallToolResult:
        self.seen.append(created.status)
        answered: set[str] = set()
        with anyio.fail_after(60):
            while True:
                task = await ctx.session.send_request(
                    GetTask(params=TaskParams(task_id=created.task_id)), TaskState
                )
                extra = task.model_extra or {}
                if not self.seen or self.seen[-1] != task.status:
                    self.seen.append(task.status)
                if task.status == "completed":
                    return CallToolResult.model_validate(extra["result"])
                if task.status == "input_required":
                    fresh = {k: r for k, r in extra["inputRequests"].items() if k not in answered}
                    if fresh:
                        responses = {key: self.answer(request) for key, request in fresh.items()}
                        update = UpdateTask(
                            params=UpdateParams(task_id=created.task_id, input_responses=responses)
                        )
                        await ctx.session.send_request(update, EmptyResult)
                        answered |= set(fresh)
                assert task.status in {"working", "input_required"}, task
                await anyio.sleep(0.2)


def test_the_client_calls_a_tool_that_waits_for_a_human_and_answers_it_as_a_task(
    mcp_url: str, api_key: str
) -> None:
    shown: list[dict[str, Any]] = []

    def person(request: dict[str, Any]) -> dict[str, Any]:
        shown.append(request)
        return {"action": "accept", "content": {"approved": True, "comment": "looks good"}}

    tasks = Tasks(person)

    async def main() -> CallToolResult:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {api_key}"}, timeout=60) as http:
            transport = streamable_http_client(mcp_url, http_client=http, terminate_on_close=False)
            async with Client(transport, extensions=[tasks]) as client:
                return await client.call_tool("approval", {"title": "Q3 report"})

    result = anyio.run(main)
    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["comment"] == "looks good"
    assert tasks.seen[0] == "input_required" and tasks.seen[-1] == "completed"
    [request] = shown
    assert request["method"] == "elicitation/create"
    assert request["params"]["message"] == "Approve publishing 'Q3 report'?"

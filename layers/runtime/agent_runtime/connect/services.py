"""The four Connect services over the engine: each method checks its request (requests.py), calls the
engine as the caller's tenant, and shapes the answer (views.py). Built per request for one caller, so
nothing of a tenant outlives its request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectrpc.request import RequestContext

from agent_runtime.config import settings
from agent_runtime.connect import requests, views
from agent_runtime.connect.errors import translated
from agent_runtime.connect.gen import agent_runtime_connect as gen
from agent_runtime.connect.gen import agent_runtime_pb as pb
from agent_runtime.engine import Engine
from agent_runtime.engine.checkpoints import Answer, Approve, Reject, Submit
from agent_runtime.engine.model import CHECKPOINT_STATUSES, RUN_STATUSES
from agent_runtime.errors import BadRequest, ValidationFailed
from agent_runtime.workflows.registry import registry

PROTOCOL = "connect"  # runs created here: their webhooks are shaped by connect/webhooks.py
# Answers through this door are the runtime's API in another encoding: v1's `via` value.
VIA = "api"
DEFAULT_WAIT_SECONDS = 20.0
MAX_WAIT_SECONDS = 25.0  # a Lambda behind API Gateway answers within 29 s


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    principal: str | None


def _status_name(value: int, names: tuple[str, ...], field: str) -> str | None:
    """A status enum's name in the engine's vocabulary (None: UNSPECIFIED, i.e. any/default)."""
    if value == 0:
        return None
    if not 1 <= value <= len(names):
        raise ValidationFailed(
            f"{field} is not valid", errors=[{"field": field, "message": f"one of {', '.join(names)}"}]
        )
    return names[value - 1]


class RunService(gen.RunServiceSync):
    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    @translated
    def create_run(self, request: pb.CreateRunRequest, ctx: RequestContext[Any, Any]) -> pb.CreateRunResponse:
        spec = requests.run_spec(request)
        key = requests.idempotency_key(request, ctx.request_headers)
        run, replayed = Engine.default().runs.create(
            self.caller.tenant_id,
            spec,
            idempotency=(key, requests.as_sent(spec)) if key is not None else None,
            protocol=PROTOCOL,
        )
        return pb.CreateRunResponse(run=views.run_message(run), replayed=replayed)

    @translated
    def get_run(self, request: pb.GetRunRequest, ctx: RequestContext[Any, Any]) -> pb.GetRunResponse:
        run = Engine.default().runs.get(self.caller.tenant_id, requests.an_id(request.run_id, "run_id"))
        return pb.GetRunResponse(run=views.run_message(run))

    @translated
    def list_runs(self, request: pb.ListRunsRequest, ctx: RequestContext[Any, Any]) -> pb.ListRunsResponse:
        page = Engine.default().runs.page(
            self.caller.tenant_id,
            status=_status_name(int(request.status), RUN_STATUSES, "status"),
            workflow=request.workflow or None,
            limit=requests.a_limit(request.limit, 20, 100),
            cursor=request.cursor or None,
            shape=lambda run: views.as_json(views.run_message(run)),
        )
        return pb.ListRunsResponse(
            data=views.from_json_list(pb.Run, list(page.data)), next_cursor=page.next_cursor
        )

    @translated
    def cancel_run(self, request: pb.CancelRunRequest, ctx: RequestContext[Any, Any]) -> pb.CancelRunResponse:
        run = Engine.default().runs.cancel(self.caller.tenant_id, requests.an_id(request.run_id, "run_id"))
        return pb.CancelRunResponse(run=views.run_message(run))

    @translated
    def wait_run(self, request: pb.WaitRunRequest, ctx: RequestContext[Any, Any]) -> pb.WaitRunResponse:
        timeout = requests.optional(request, "timeout_seconds")
        timeout = DEFAULT_WAIT_SECONDS if timeout is None else timeout
        if not 0 <= timeout <= MAX_WAIT_SECONDS:
            raise BadRequest(
                f"timeout_seconds must be between 0 and {MAX_WAIT_SECONDS:g}",
                errors=[{"field": "timeout_seconds", "message": f"between 0 and {MAX_WAIT_SECONDS:g}"}],
            )
        run_id = requests.an_id(request.run_id, "run_id")
        run = Engine.default().runs.wait(self.caller.tenant_id, run_id, timeout)
        return pb.WaitRunResponse(run=views.run_message(run))

    @translated
    def stream_events(
        self, request: pb.StreamEventsRequest, ctx: RequestContext[Any, Any]
    ) -> Iterator[pb.StreamEventsResponse]:
        """One window of the run's events (engine/streams.py follow): it ends once the run settled and
        every event was sent, or when the window closes; the client resumes after its last event id."""
        run_id = requests.an_id(request.run_id, "run_id")
        if request.after_event_id < 0:
            raise BadRequest(
                "after_event_id must not be negative",
                errors=[{"field": "after_event_id", "message": "an event id, or 0"}],
            )
        config = settings()
        window = Engine.default().streams.follow(
            self.caller.tenant_id,
            run_id,
            request.after_event_id,
            frame=lambda _run, event: views.event_message(event).to_json(),
            settled=lambda run: run.settled,
            window_seconds=config.sse_window_seconds,
            poll_seconds=config.sse_poll_seconds,
            close_when_quiet=True,
            hold_seconds=config.sse_hold_seconds,
        )
        # The run's state when the window closed: a client tells "settled" from "reconnect" by it.
        ctx.response_trailers["run-status"] = window.run.status
        ctx.response_trailers["last-event-id"] = str(window.last_id)
        return iter([pb.StreamEventsResponse(event=pb.Event.from_json(frame)) for frame in window.frames])


class WorkflowService(gen.WorkflowServiceSync):
    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    @translated
    def list_workflows(
        self, request: pb.ListWorkflowsRequest, ctx: RequestContext[Any, Any]
    ) -> pb.ListWorkflowsResponse:
        return views.workflow_list(registry())

    @translated
    def get_workflow(
        self, request: pb.GetWorkflowRequest, ctx: RequestContext[Any, Any]
    ) -> pb.GetWorkflowResponse:
        return views.workflow_detail(registry(), requests.an_id(request.name, "name"))

    @translated
    def get_workflow_schemas(
        self, request: pb.GetWorkflowSchemasRequest, ctx: RequestContext[Any, Any]
    ) -> pb.GetWorkflowSchemasResponse:
        name = requests.an_id(request.name, "name")
        return pb.GetWorkflowSchemasResponse(
            schemas=views.workflow_schemas(registry(), name, request.version or None)
        )


class CheckpointService(gen.CheckpointServiceSync):
    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    @translated
    def inbox(self, request: pb.InboxRequest, ctx: RequestContext[Any, Any]) -> pb.InboxResponse:
        status = _status_name(int(request.status), CHECKPOINT_STATUSES, "status") or "pending"
        page = Engine.default().checkpoints.inbox(
            self.caller.tenant_id,
            status,
            request.assignee or None,
            requests.a_limit(request.limit, 50, 100),
            request.cursor or None,
            lambda checkpoint: views.as_json(views.checkpoint_message(checkpoint)),
        )
        return pb.InboxResponse(
            data=views.from_json_list(pb.HumanCheckpoint, list(page.data)), next_cursor=page.next_cursor
        )

    @translated
    def list_checkpoints(
        self, request: pb.ListCheckpointsRequest, ctx: RequestContext[Any, Any]
    ) -> pb.ListCheckpointsResponse:
        page = Engine.default().checkpoints.list_for_run(
            self.caller.tenant_id,
            requests.an_id(request.run_id, "run_id"),
            request.cursor or None,
            lambda checkpoint: views.as_json(views.checkpoint_message(checkpoint)),
        )
        return pb.ListCheckpointsResponse(
            data=views.from_json_list(pb.HumanCheckpoint, list(page.data)), next_cursor=page.next_cursor
        )

    @translated
    def get_checkpoint(
        self, request: pb.GetCheckpointRequest, ctx: RequestContext[Any, Any]
    ) -> pb.GetCheckpointResponse:
        checkpoint = Engine.default().checkpoints.get(
            self.caller.tenant_id,
            requests.an_id(request.run_id, "run_id"),
            requests.an_id(request.checkpoint_id, "checkpoint_id"),
        )
        return pb.GetCheckpointResponse(checkpoint=views.checkpoint_message(checkpoint))

    def _answer(self, run_id: str, checkpoint_id: str, answer: Answer) -> pb.HumanCheckpoint:
        answered = Engine.default().checkpoints.answer(
            self.caller.tenant_id,
            requests.an_id(run_id, "run_id"),
            requests.an_id(checkpoint_id, "checkpoint_id"),
            answer,
            self.caller.principal,
            via=VIA,
        )
        return views.checkpoint_message(answered)

    @translated
    def approve(self, request: pb.ApproveRequest, ctx: RequestContext[Any, Any]) -> pb.ApproveResponse:
        return pb.ApproveResponse(
            checkpoint=self._answer(
                request.run_id, request.checkpoint_id, Approve(requests.optional(request, "comment"))
            )
        )

    @translated
    def reject(self, request: pb.RejectRequest, ctx: RequestContext[Any, Any]) -> pb.RejectResponse:
        return pb.RejectResponse(
            checkpoint=self._answer(
                request.run_id, request.checkpoint_id, Reject(requests.optional(request, "reason"))
            )
        )

    @translated
    def submit_input(
        self, request: pb.SubmitInputRequest, ctx: RequestContext[Any, Any]
    ) -> pb.SubmitInputResponse:
        run_id = requests.an_id(request.run_id, "run_id")
        checkpoint_id = requests.an_id(request.checkpoint_id, "checkpoint_id")
        data = requests.struct_data(request)
        checkpoint = Engine.default().checkpoints.get(self.caller.tenant_id, run_id, checkpoint_id)
        answer: Answer = Submit(data)
        if checkpoint.type == "approval":
            # Only a pending checkpoint's decision is checked: any answer to another is the engine's
            # failed_precondition.
            answer = requests.approval_answer(data) if checkpoint.status == "pending" else Approve()
        return pb.SubmitInputResponse(checkpoint=self._answer(run_id, checkpoint_id, answer))


class ArtifactService(gen.ArtifactServiceSync):
    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    @translated
    def list_artifacts(
        self, request: pb.ListArtifactsRequest, ctx: RequestContext[Any, Any]
    ) -> pb.ListArtifactsResponse:
        artifacts = Engine.default().artifacts.list_for_run(
            self.caller.tenant_id, requests.an_id(request.run_id, "run_id")
        )
        return pb.ListArtifactsResponse(data=[views.artifact_message(a) for a in artifacts])

    @translated
    def get_artifact(
        self, request: pb.GetArtifactRequest, ctx: RequestContext[Any, Any]
    ) -> pb.GetArtifactResponse:
        download = Engine.default().artifacts.get(
            self.caller.tenant_id, requests.an_id(request.artifact_id, "artifact_id")
        )
        return views.download_message(download)

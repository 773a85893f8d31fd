"""THE list of Lambda functions: name, handler, routes, grants, timeout, memory; and the run state
machine's definition (statemachine/run.asl.json, next to this file).

infra/ builds the cloud stack from it and the local stack wires the same functions, routes and state
machine from it, so what is tested locally is what is deployed. Pure data: imports nothing of
agent_runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Grant(StrEnum):
    """What a function may do; infra maps each to least-privilege IAM statements."""

    TABLE_READ = "table:read"
    TABLE_WRITE = "table:write"
    PAYLOADS_READ = "bucket:read"
    PAYLOADS_WRITE = "bucket:write"
    EXECUTION_START = "states:start"
    EXECUTION_STOP = "states:stop"
    EXECUTION_READ = "states:read"  # DescribeExecution: is a run's execution still running?
    EXECUTION_LIST = "states:list"  # ListExecutions of the run state machine
    TASK_CALLBACK = "states:callback"  # SendTaskSuccess / SendTaskFailure for parked checkpoints
    QUEUE_SEND = "queue:send"  # send to the webhook queue and its dead-letter queue
    QUEUE_CONSUME = "queue:consume"  # receive/delete from the webhook queue (its event source mapping)
    STREAM_READ = "stream:read"  # read the table's stream (its event source mapping)
    # Call the configured Bedrock models (agent_runtime/models/bedrock.py: Converse, ConverseStream);
    # infra scopes it to the model ids of the stack's `modelIds` context and grants nothing without one.
    MODEL_INVOKE = "model:invoke"


# The IAM actions each grant allows. infra/ scopes them to the stack's resources; the local stack holds
# every AWS call a function makes to them (local/agent_runtime_local/permissions.py), so a missing grant
# fails a test instead of a deploy. Transactions have no action of their own: TransactWriteItems is
# authorised item by item (PutItem/UpdateItem/DeleteItem/ConditionCheckItem), TransactGetItems through
# GetItem.
GRANT_ACTIONS: dict[Grant, tuple[str, ...]] = {
    Grant.TABLE_READ: ("dynamodb:GetItem", "dynamodb:Query"),
    Grant.TABLE_WRITE: (
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:BatchWriteItem",
    ),
    Grant.PAYLOADS_READ: ("s3:GetObject",),
    Grant.PAYLOADS_WRITE: ("s3:PutObject",),
    Grant.EXECUTION_START: ("states:StartExecution",),
    Grant.EXECUTION_STOP: ("states:StopExecution",),
    Grant.EXECUTION_READ: ("states:DescribeExecution",),
    Grant.EXECUTION_LIST: ("states:ListExecutions",),
    Grant.TASK_CALLBACK: ("states:SendTaskSuccess", "states:SendTaskFailure"),
    Grant.QUEUE_SEND: ("sqs:SendMessage",),
    # What Lambda's event source mappings need (the service calls these, not the function's code).
    Grant.QUEUE_CONSUME: (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    ),
    # Converse is authorised as InvokeModel, ConverseStream as InvokeModelWithResponseStream.
    Grant.MODEL_INVOKE: ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
    Grant.STREAM_READ: (
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ),
}


class Trigger(StrEnum):
    """An event source that invokes a function (besides API routes and the state machine)."""

    TABLE_STREAM = "table-stream"  # the table's DynamoDB stream
    WEBHOOK_QUEUE = "webhook-queue"  # the webhook delivery SQS queue
    SCHEDULE = "schedule"  # a timer: EventBridge Scheduler in the cloud, a periodic thread locally


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway style: /v1/runs/{run_id}


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str  # module path + ".handler"
    description: str
    routes: tuple[Route, ...] = ()
    grants: frozenset[Grant] = field(default_factory=frozenset)
    timeout_seconds: int = 29
    memory_mb: int = 512
    trigger: Trigger | None = None
    # An event filter of its trigger (a Lambda event-filtering pattern, as JSON): records that don't
    # match never invoke it (and cost nothing). The local stack's pollers apply the same pattern.
    trigger_filter: str | None = None
    # Its routes have no authorizer (public discovery documents, such as A2A's agent cards): infra
    # gives their methods no authorization and the local gateway serves them without a key. The handler
    # sees no tenant, so it may serve nothing of any tenant's.
    public: bool = False
    # With trigger=SCHEDULE: how often it runs, as an EventBridge Scheduler rate ("rate(1 minute)").
    schedule: str | None = None
    # Its requests may be held open (long polls, SSE windows, blocking sends: up to 25 s): each tenant
    # may hold HELD_OPEN_PER_TENANT of them at once, on threads of its own locally (docs/decisions.md 78).
    holds_open: bool = False
    # Reserved concurrency in the cloud (a floor for workers, a ceiling for held-open request functions),
    # so one tenant's long polls can't take the account's executions from the steps and the authorizer.
    reserved_concurrency: int | None = None

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attribute(self) -> str:
        """The handler's name in its module (`handler` for most; the operationId for ACP's)."""
        return self.handler.rsplit(".", 1)[1]


_READ = frozenset({Grant.TABLE_READ, Grant.PAYLOADS_READ})
_WRITE = frozenset({Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.PAYLOADS_READ, Grant.PAYLOADS_WRITE})

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "create_run",
        "functions.api.create_run.handler",
        "Create a run and start its execution",
        routes=(Route("POST", "/v1/runs"),),
        grants=_WRITE | {Grant.EXECUTION_START},
    ),
    FunctionSpec(
        "list_runs",
        "functions.api.list_runs.handler",
        "List the tenant's runs",
        routes=(Route("GET", "/v1/runs"),),
        grants=_READ,
    ),
    FunctionSpec(
        "get_usage",
        "functions.api.get_usage.handler",
        "The usage and estimated cost of the tenant's runs created in a window",
        routes=(Route("GET", "/v1/usage"),),
        grants=frozenset({Grant.TABLE_READ}),
        memory_mb=256,
    ),
    FunctionSpec(
        "get_run",
        "functions.api.get_run.handler",
        "Read one run",
        routes=(Route("GET", "/v1/runs/{run_id}"),),
        grants=_READ,
    ),
    FunctionSpec(
        "cancel_run",
        "functions.api.cancel_run.handler",
        "Cancel a run in any non-terminal state",
        routes=(Route("POST", "/v1/runs/{run_id}/cancel"),),
        # TASK_CALLBACK: a run parked on a checkpoint is cancelled by failing its task token.
        grants=_WRITE | {Grant.EXECUTION_STOP, Grant.TASK_CALLBACK},
    ),
    FunctionSpec(
        "wait_run",
        "functions.api.wait_run.handler",
        "Wait until a run ends or needs a human (or the timeout), then return it",
        routes=(Route("GET", "/v1/runs/{run_id}/wait"),),
        grants=_READ,
        holds_open=True,
        reserved_concurrency=50,
    ),
    FunctionSpec(
        "run_events",
        "functions.api.run_events.handler",
        "A run's events as SSE windows or JSON pages",
        routes=(Route("GET", "/v1/runs/{run_id}/events"),),
        grants=_READ,
        holds_open=True,
        reserved_concurrency=50,
    ),
    FunctionSpec(
        "list_checkpoints",
        "functions.api.list_checkpoints.handler",
        "A run's human checkpoints",
        routes=(Route("GET", "/v1/runs/{run_id}/checkpoints"),),
        grants=_READ,
    ),
    FunctionSpec(
        "get_checkpoint",
        "functions.api.get_checkpoint.handler",
        "One human checkpoint",
        routes=(Route("GET", "/v1/runs/{run_id}/checkpoints/{checkpoint_id}"),),
        grants=_READ,
    ),
    FunctionSpec(
        "approve_checkpoint",
        "functions.api.approve_checkpoint.handler",
        "Approve an approval checkpoint",
        routes=(Route("POST", "/v1/runs/{run_id}/checkpoints/{checkpoint_id}/approve"),),
        grants=_WRITE | {Grant.TASK_CALLBACK},
    ),
    FunctionSpec(
        "reject_checkpoint",
        "functions.api.reject_checkpoint.handler",
        "Reject an approval checkpoint",
        routes=(Route("POST", "/v1/runs/{run_id}/checkpoints/{checkpoint_id}/reject"),),
        grants=_WRITE | {Grant.TASK_CALLBACK},
    ),
    FunctionSpec(
        "submit_checkpoint_input",
        "functions.api.submit_checkpoint_input.handler",
        "Provide the data an input checkpoint asks for",
        routes=(Route("POST", "/v1/runs/{run_id}/checkpoints/{checkpoint_id}/input"),),
        grants=_WRITE | {Grant.TASK_CALLBACK},
    ),
    FunctionSpec(
        "assign_checkpoint",
        "functions.api.assign_checkpoint.handler",
        "Claim or reassign a pending checkpoint",
        routes=(Route("POST", "/v1/runs/{run_id}/checkpoints/{checkpoint_id}/assign"),),
        grants=_WRITE,
    ),
    FunctionSpec(
        "checkpoint_inbox",
        "functions.api.checkpoint_inbox.handler",
        "Checkpoints across runs, for approval UIs",
        routes=(Route("GET", "/v1/checkpoints"),),
        grants=_READ,
    ),
    FunctionSpec(
        "list_artifacts",
        "functions.api.list_artifacts.handler",
        "A run's artifacts",
        routes=(Route("GET", "/v1/runs/{run_id}/artifacts"),),
        grants=_READ,
    ),
    FunctionSpec(
        "get_artifact",
        "functions.api.get_artifact.handler",
        "An artifact with a pre-signed download URL",
        routes=(Route("GET", "/v1/artifacts/{artifact_id}"),),
        grants=_READ,
    ),
    FunctionSpec(
        "preview_artifact",
        "functions.api.preview_artifact.handler",
        "An artifact's content for the console to show (text, JSON, images)",
        routes=(Route("GET", "/v1/artifacts/{artifact_id}/preview"),),
        grants=_READ,
    ),
    FunctionSpec(
        "list_workflows",
        "functions.api.list_workflows.handler",
        "List workflows",
        routes=(Route("GET", "/v1/workflows"),),
    ),
    FunctionSpec(
        "get_workflow",
        "functions.api.get_workflow.handler",
        "A workflow and its versions",
        routes=(Route("GET", "/v1/workflows/{name}"),),
    ),
    FunctionSpec(
        "get_workflow_schemas",
        "functions.api.get_workflow_schemas.handler",
        "A workflow version's schemas",
        routes=(Route("GET", "/v1/workflows/{name}/schemas"),),
    ),
    FunctionSpec(
        "list_deliveries",
        "functions.api.list_deliveries.handler",
        "A run's webhook deliveries and their attempts",
        routes=(Route("GET", "/v1/runs/{run_id}/deliveries"),),
        grants=_READ,
    ),
    FunctionSpec(
        "redeliver",
        "functions.api.redeliver.handler",
        "Send a webhook delivery again",
        routes=(Route("POST", "/v1/deliveries/{delivery_id}/redeliver"),),
        grants=frozenset({Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.QUEUE_SEND}),
    ),
    FunctionSpec(
        "rotate_webhook_secret",
        "functions.api.rotate_webhook_secret.handler",
        "Rotate the tenant's webhook signing secret and return the new one once",
        routes=(Route("POST", "/v1/webhook-secret/rotate"),),
        grants=frozenset({Grant.TABLE_READ, Grant.TABLE_WRITE}),
    ),
    FunctionSpec(
        "get_openapi",
        "functions.api.get_openapi.handler",
        "The v1 API's OpenAPI document (shipped with the function code)",
        routes=(Route("GET", "/v1/openapi.json"),),
        memory_mb=256,
    ),
    FunctionSpec(
        "get_acp_openapi",
        "functions.api.get_acp_openapi.handler",
        "The ACP 0.2.3 OpenAPI document (shipped with the function code)",
        routes=(Route("GET", "/v1/openapi/acp.json"),),
        memory_mb=256,
    ),
    FunctionSpec(
        "webhook_dispatcher",
        "functions.workers.webhook_dispatcher.handler",
        "Table stream consumer: events that trigger webhooks -> deliveries on the webhook queue",
        grants=_WRITE | {Grant.QUEUE_SEND, Grant.STREAM_READ},
        timeout_seconds=60,
        reserved_concurrency=5,
        trigger=Trigger.TABLE_STREAM,
        # Only event pages of runs with a callback URL carry `hook` (store/event_items.py).
        trigger_filter='{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"hook": {"BOOL": [true]}}}}',
    ),
    FunctionSpec(
        "webhook_delivery",
        "functions.workers.webhook_delivery.handler",
        "Webhook queue consumer: one signed POST per message, retries, dead letters",
        grants=frozenset(
            {Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.PAYLOADS_READ, Grant.QUEUE_SEND, Grant.QUEUE_CONSUME}
        ),
        timeout_seconds=30,
        memory_mb=256,
        reserved_concurrency=20,
        trigger=Trigger.WEBHOOK_QUEUE,
    ),
    FunctionSpec(
        "authorizer",
        "functions.workers.authorizer.handler",
        "API Gateway REQUEST authorizer: API key -> tenant",
        grants=frozenset({Grant.TABLE_READ}),
        timeout_seconds=10,
        memory_mb=256,
        reserved_concurrency=50,
    ),
    FunctionSpec(
        "checkpoint_worker",
        "functions.workers.checkpoint_worker.handler",
        "Stores the task token of a run parked on a human checkpoint, or of a durable run that waits",
        grants=_WRITE | {Grant.TASK_CALLBACK},
        timeout_seconds=30,
        memory_mb=512,
        reserved_concurrency=20,
    ),
    FunctionSpec(
        "reconciler",
        "functions.workers.reconciler.handler",
        "Re-drives or fails runs whose execution was lost; re-enqueues deliveries whose message was",
        # Re-drive (start), liveness (list, describe), end runs (table), resume an execution parked on
        # an answered checkpoint (callback), re-enqueue deliveries (queue).
        grants=frozenset(
            {
                Grant.TABLE_READ,
                Grant.TABLE_WRITE,
                Grant.TASK_CALLBACK,
                Grant.EXECUTION_START,
                Grant.EXECUTION_READ,
                Grant.EXECUTION_LIST,
                Grant.QUEUE_SEND,
            }
        ),
        timeout_seconds=300,
        memory_mb=256,
        reserved_concurrency=2,
        trigger=Trigger.SCHEDULE,
        schedule="rate(1 minute)",
    ),
    FunctionSpec(
        "step_worker",
        "functions.workers.step_worker.handler",
        "Runs a workflow's steps, or invokes its durable handler, for the run state machine",
        # Durable runs start child runs (context.invoke) and wake a waiting parent when they end; step
        # code calls models.
        grants=_WRITE | {Grant.EXECUTION_START, Grant.TASK_CALLBACK, Grant.MODEL_INVOKE},
        timeout_seconds=900,
        memory_mb=1024,
        reserved_concurrency=200,
    ),
)


# ACP 0.2.3: one function per operation, named by the spec's operationId; the handlers live one module
# per resource (functions/acp/agents.py, runs.py, threads.py).
ACP_OPERATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("search_agents", "functions.acp.agents.search_agents", "POST", "/agents/search"),
    ("get_agent_by_id", "functions.acp.agents.get_agent_by_id", "GET", "/agents/{agent_id}"),
    (
        "get_acp_descriptor_by_id",
        "functions.acp.agents.get_acp_descriptor_by_id",
        "GET",
        "/agents/{agent_id}/descriptor",
    ),
    ("create_stateless_run", "functions.acp.runs.create_stateless_run", "POST", "/runs"),
    (
        "create_and_wait_for_stateless_run_output",
        "functions.acp.runs.create_and_wait_for_stateless_run_output",
        "POST",
        "/runs/wait",
    ),
    (
        "create_and_stream_stateless_run_output",
        "functions.acp.runs.create_and_stream_stateless_run_output",
        "POST",
        "/runs/stream",
    ),
    ("get_stateless_run", "functions.acp.runs.get_stateless_run", "GET", "/runs/{run_id}"),
    ("resume_stateless_run", "functions.acp.runs.resume_stateless_run", "POST", "/runs/{run_id}"),
    ("delete_stateless_run", "functions.acp.runs.delete_stateless_run", "DELETE", "/runs/{run_id}"),
    (
        "wait_for_stateless_run_output",
        "functions.acp.runs.wait_for_stateless_run_output",
        "GET",
        "/runs/{run_id}/wait",
    ),
    (
        "stream_stateless_run_output",
        "functions.acp.runs.stream_stateless_run_output",
        "GET",
        "/runs/{run_id}/stream",
    ),
    ("cancel_stateless_run", "functions.acp.runs.cancel_stateless_run", "POST", "/runs/{run_id}/cancel"),
    ("create_thread_run", "functions.acp.runs.create_thread_run", "POST", "/threads/{thread_id}/runs"),
    (
        "create_and_wait_for_thread_run_output",
        "functions.acp.runs.create_and_wait_for_thread_run_output",
        "POST",
        "/threads/{thread_id}/runs/wait",
    ),
    (
        "create_and_stream_thread_run_output",
        "functions.acp.runs.create_and_stream_thread_run_output",
        "POST",
        "/threads/{thread_id}/runs/stream",
    ),
    ("get_thread_run", "functions.acp.runs.get_thread_run", "GET", "/threads/{thread_id}/runs/{run_id}"),
    (
        "resume_thread_run",
        "functions.acp.runs.resume_thread_run",
        "POST",
        "/threads/{thread_id}/runs/{run_id}",
    ),
    (
        "delete_thread_run",
        "functions.acp.runs.delete_thread_run",
        "DELETE",
        "/threads/{thread_id}/runs/{run_id}",
    ),
    (
        "wait_for_thread_run_output",
        "functions.acp.runs.wait_for_thread_run_output",
        "GET",
        "/threads/{thread_id}/runs/{run_id}/wait",
    ),
    (
        "stream_thread_run_output",
        "functions.acp.runs.stream_thread_run_output",
        "GET",
        "/threads/{thread_id}/runs/{run_id}/stream",
    ),
    (
        "cancel_thread_run",
        "functions.acp.runs.cancel_thread_run",
        "POST",
        "/threads/{thread_id}/runs/{run_id}/cancel",
    ),
    ("search_stateless_runs", "functions.acp.runs.search_stateless_runs", "POST", "/runs/search"),
    ("list_thread_runs", "functions.acp.runs.list_thread_runs", "GET", "/threads/{thread_id}/runs"),
    ("create_thread", "functions.acp.threads.create_thread", "POST", "/threads"),
    ("search_threads", "functions.acp.threads.search_threads", "POST", "/threads/search"),
    ("get_thread", "functions.acp.threads.get_thread", "GET", "/threads/{thread_id}"),
    ("patch_thread", "functions.acp.threads.patch_thread", "PATCH", "/threads/{thread_id}"),
    ("delete_thread", "functions.acp.threads.delete_thread", "DELETE", "/threads/{thread_id}"),
    ("get_thread_history", "functions.acp.threads.get_thread_history", "GET", "/threads/{thread_id}/history"),
    ("copy_thread", "functions.acp.threads.copy_thread", "POST", "/threads/{thread_id}/copy"),
)
# Paths of the ACP seed document that 0.2.3 renamed, served as documented aliases (README, ACP) by the
# function of the operation they alias: the manifest with the descriptor, the output with the wait.
ACP_ALIASES: dict[str, tuple[Route, ...]] = {
    "get_acp_descriptor_by_id": (Route("GET", "/agents/agent/{agent_id}/manifest"),),
    "wait_for_stateless_run_output": (Route("GET", "/runs/{run_id}/output"),),
}
# What each ACP operation may do beyond reading runs and threads (_READ). Agents only read the workflow
# registry in the function's code: no grants. Creating a run starts it, and with multitask_strategy
# interrupt cancels the thread's current run (stop it, fail its parked task); resuming answers a
# checkpoint (send the task its result); cancelling or deleting a run stops it and fails its parked task.
_ACP_CREATE = _WRITE | {Grant.EXECUTION_START, Grant.EXECUTION_STOP, Grant.TASK_CALLBACK}
_ACP_RESUME = _WRITE | {Grant.TASK_CALLBACK}
_ACP_END = _WRITE | {Grant.EXECUTION_STOP, Grant.TASK_CALLBACK}
_ACP_GRANTS: dict[str, frozenset[Grant]] = {
    "search_agents": frozenset(),
    "get_agent_by_id": frozenset(),
    "get_acp_descriptor_by_id": frozenset(),
    "create_stateless_run": _ACP_CREATE,
    "create_and_wait_for_stateless_run_output": _ACP_CREATE,
    "create_and_stream_stateless_run_output": _ACP_CREATE,
    "resume_stateless_run": _ACP_RESUME,
    "delete_stateless_run": _ACP_END,
    "cancel_stateless_run": _ACP_END,
    "create_thread_run": _ACP_CREATE,
    "create_and_wait_for_thread_run_output": _ACP_CREATE,
    "create_and_stream_thread_run_output": _ACP_CREATE,
    "resume_thread_run": _ACP_RESUME,
    "delete_thread_run": _ACP_END,
    "cancel_thread_run": _ACP_END,
    "create_thread": _WRITE,
    "patch_thread": _WRITE,
    "delete_thread": _WRITE,
    "copy_thread": _WRITE,
}
FUNCTIONS += tuple(
    FunctionSpec(
        name,
        handler,
        f"ACP {method} {path}",
        routes=(Route(method, path), *ACP_ALIASES.get(name, ())),
        grants=_ACP_GRANTS.get(name, _READ),
        holds_open="wait" in name or "stream" in name,
        reserved_concurrency=20 if "wait" in name or "stream" in name else None,
    )
    for name, handler, method, path in ACP_OPERATIONS
)

# A2A's functions: their routes' contract is A2A 1.0's own (its spec, and the JSON Schema the contract
# tests hold both bindings to: tests/doors/a2a/spec/), not an OpenAPI document of this repository.
A2A_FUNCTIONS = ("a2a_agent_card", "a2a_jsonrpc", "a2a_http")
# A2A 1.0 (docs/decisions.md 40-44): public agent cards; the JSON-RPC binding is one HTTP operation
# (POST /a2a, every method); the HTTP+JSON binding's operations are path suffixes API Gateway can't
# route (`/tasks/{id}:cancel`), so one greedy resource carries them and agent_runtime/a2a/rest.py routes.
# Sending a message creates (starts) a run or answers its checkpoint; cancelling stops the execution
# and fails a parked task: the grants of ACP's run creation.
FUNCTIONS += (
    FunctionSpec(
        "a2a_agent_card",
        "functions.a2a.cards.get_agent_card",
        "A2A agent cards: the runtime's, or a workflow's with ?agent= (public discovery)",
        routes=(Route("GET", "/.well-known/agent-card.json"),),
        memory_mb=256,
        public=True,
    ),
    FunctionSpec(
        "a2a_jsonrpc",
        "functions.a2a.jsonrpc.handle",
        "A2A 1.0 JSON-RPC binding: every method",
        routes=(Route("POST", "/a2a"),),
        grants=_ACP_CREATE,
        holds_open=True,  # blocking SendMessage, SendStreamingMessage, SubscribeToTask
        reserved_concurrency=50,
    ),
    FunctionSpec(
        "a2a_http",
        "functions.a2a.http.handle",
        "A2A 1.0 HTTP+JSON binding: every operation under /a2a",
        routes=(Route("GET", "/a2a/{path+}"), Route("POST", "/a2a/{path+}"), Route("DELETE", "/a2a/{path+}")),
        grants=_ACP_CREATE,
        holds_open=True,  # message:send (blocking), message:stream, tasks/{id}:subscribe
        reserved_concurrency=50,
    ),
)

# The Connect door (proto/agent_runtime.proto, agent_runtime/connect/): one function per RPC, each at
# its Connect path (POST /agent_runtime.v1.<Service>/<Method>), behind the v1 family's authorizer
# (Authorization: Bearer). One handler serves them all, under each method's name (functions/connect/
# rpc.py); the grants are those of the v1 operation each method mirrors. Their contract is the proto
# (`make contracts` holds it), not an OpenAPI document.
CONNECT_METHODS: tuple[tuple[str, str, frozenset[Grant]], ...] = (
    ("RunService", "CreateRun", _WRITE | {Grant.EXECUTION_START}),
    ("RunService", "GetRun", _READ),
    ("RunService", "ListRuns", _READ),
    ("RunService", "CancelRun", _WRITE | {Grant.EXECUTION_STOP, Grant.TASK_CALLBACK}),
    ("RunService", "WaitRun", _READ),
    ("RunService", "StreamEvents", _READ),
    ("WorkflowService", "ListWorkflows", frozenset()),
    ("WorkflowService", "GetWorkflow", frozenset()),
    ("WorkflowService", "GetWorkflowSchemas", frozenset()),
    ("CheckpointService", "Inbox", _READ),
    ("CheckpointService", "ListCheckpoints", _READ),
    ("CheckpointService", "GetCheckpoint", _READ),
    ("CheckpointService", "Approve", _WRITE | {Grant.TASK_CALLBACK}),
    ("CheckpointService", "Reject", _WRITE | {Grant.TASK_CALLBACK}),
    ("CheckpointService", "SubmitInput", _WRITE | {Grant.TASK_CALLBACK}),
    ("ArtifactService", "ListArtifacts", _READ),
    ("ArtifactService", "GetArtifact", _READ),
)
CONNECT_PACKAGE = "agent_runtime.v1"


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


CONNECT_FUNCTIONS = tuple(f"connect_{_snake(method)}" for _, method, _ in CONNECT_METHODS)
FUNCTIONS += tuple(
    FunctionSpec(
        f"connect_{_snake(method)}",
        f"functions.connect.rpc.{_snake(method)}",
        f"Connect {service}/{method}",
        routes=(Route("POST", f"/{CONNECT_PACKAGE}.{service}/{method}"),),
        grants=grants,
    )
    for service, method, grants in CONNECT_METHODS
)

# MCP (2026-07-28, Streamable HTTP; docs/decisions.md 77): one POST endpoint, every method, so one
# function; its contract is MCP's own schema and the Tasks extension's (tests/doors/mcp/schemas/). A tool call
# creates and starts a run, tasks/update answers its checkpoint, tasks/cancel stops it: ACP's grants.
MCP_FUNCTIONS = ("mcp",)
FUNCTIONS += (
    FunctionSpec(
        "mcp",
        "functions.mcp.server.handle",
        "MCP Streamable HTTP: workflows as tools, long runs as tasks",
        routes=(Route("POST", "/mcp"),),
        grants=_ACP_CREATE,
    ),
)

# Each door's webhook formatter ("module:function"), by the protocol name runs carry: the webhook
# dispatcher shapes a run's deliveries with the formatter of the door that created the run.
WEBHOOK_FORMATTERS: dict[str, str] = {
    "v1": "agent_runtime.v1.webhooks:webhook_body",
    "acp": "agent_runtime.acp.webhooks:webhook_body",
    "a2a": "agent_runtime.a2a.webhooks:webhook_body",
    "connect": "agent_runtime.connect.webhooks:webhook_body",
}

AUTHORIZER = "authorizer"

# The header each route family's clients send their key in: the SDK and the console send
# `Authorization: Bearer` to /v1, ACP clients `x-api-key` to ACP's routes; A2A's agent card offers both.
# API Gateway caches a family's authorizer answers per value of its one header and answers 401, without
# calling the authorizer, to a request that lacks it (docs/decisions.md 60); the local gateway refuses
# the same requests.
BEARER_HEADER = "Authorization"
API_KEY_HEADER = "x-api-key"


def key_header(spec: FunctionSpec) -> str | None:
    """The one header `spec`'s routes take the key in, or None where either is taken (A2A)."""
    if spec.name in A2A_FUNCTIONS:
        return None
    if spec.name in {name for name, *_ in ACP_OPERATIONS}:
        return API_KEY_HEADER
    return BEARER_HEADER


@dataclass(frozen=True)
class Throttle:
    rate_per_second: float
    burst: int


# Each tenant's request rate: an API Gateway usage plan per tenant in the cloud (the authorizer names
# the tenant's usage key), a token bucket per tenant in the local gateway. One tenant can't starve the
# others; the stage-wide limit stays the stack's ceiling.
TENANT_THROTTLE = Throttle(rate_per_second=20, burst=40)
# The rate limits requests started, not requests held open: each tenant may hold this many requests of
# `holds_open` functions at once; one more is a 429 of type /problems/too-many-open-requests.
HELD_OPEN_PER_TENANT = 10

# The state machine's substitution variables, each naming the function it invokes.
STATE_MACHINE_FUNCTIONS = {
    "StepWorkerFunctionArn": "step_worker",
    "CheckpointWorkerFunctionArn": "checkpoint_worker",
}
# The run state machine (Amazon States Language, JSONPath so moto can run it), with a ${Variable} for
# each of STATE_MACHINE_FUNCTIONS. CDK deploys it and the local stack runs it in moto.
STATE_MACHINE_DEFINITION = Path(__file__).resolve().parent / "statemachine" / "run.asl.json"


def state_machine_definition() -> str:
    """The run state machine's definition, substitution variables unfilled."""
    return STATE_MACHINE_DEFINITION.read_text(encoding="utf-8")


# Express workflows have no callback (.waitForTaskToken) integrations: Step Functions refuses them.
_CALLBACK_SUFFIX = ".waitForTaskToken"
HUMAN_ON_EXPRESS = "HumanCheckpointOnExpress"


def express_state_machine_definition(definition: str | None = None) -> str:
    """The run state machine for runs that can't wait for a human, deployed as EXPRESS: the same
    definition (`definition`, substituted or not; by default the file's) with each callback state
    (AwaitHuman) a Fail state, and the states only it led to (ExpireCheckpoint) left out. Such a run
    never reaches it (the engine's rule: engine/orchestration.py runs_on_express); if one did, its run
    stays active and the reconciler re-drives it on the standard machine."""
    import json

    asl = json.loads(definition if definition is not None else state_machine_definition())
    states: dict[str, dict[str, object]] = asl["States"]
    for name, state in states.items():
        if str(state.get("Resource", "")).endswith(_CALLBACK_SUFFIX):
            states[name] = {
                "Type": "Fail",
                "Comment": "An express run can't wait for a human (no task tokens).",
                "Error": HUMAN_ON_EXPRESS,
                "Cause": "the run reached a human checkpoint on the express state machine",
            }
    asl["States"] = {name: states[name] for name in _reachable(asl["StartAt"], states)}
    asl["Comment"] = "agent-runtime (express: runs that can't wait for a human). " + str(
        asl.get("Comment", "")
    )
    return json.dumps(asl, indent=2)


def _reachable(start: str, states: dict[str, dict[str, object]]) -> list[str]:
    """The states reachable from `start` (Next, Default, Choices' and Catchers' Next), in file order."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        targets = [state.get("Next"), state.get("Default")]
        for branch in [*state.get("Choices", []), *state.get("Catch", [])]:  # type: ignore[misc]
            targets.append(branch.get("Next"))
        todo.extend(str(t) for t in targets if t)
    return [name for name in states if name in seen]


def allowed_actions(spec: FunctionSpec) -> frozenset[str]:
    return frozenset(action for grant in spec.grants for action in GRANT_ACTIONS[grant])


def by_name(name: str) -> FunctionSpec:
    for spec in FUNCTIONS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def routes() -> list[tuple[Route, FunctionSpec]]:
    return [(route, spec) for spec in FUNCTIONS for route in spec.routes]


def routes_with_other_contracts() -> set[Route]:
    """Routes no OpenAPI document of this repository describes: A2A's (A2A 1.0's own contract, held by
    tests/doors/a2a/test_a2a_contract.py), Connect's (proto/agent_runtime.proto), MCP's (its own schemas:
    tests/doors/mcp/) and ACP's seed-document aliases (README; tests/doors/acp/test_acp_fixes.py)."""
    a2a = {route for route, spec in routes() if spec.name in A2A_FUNCTIONS}
    connect = {route for route, spec in routes() if spec.name in CONNECT_FUNCTIONS}  # proto/
    mcp = {route for route, spec in routes() if spec.name in MCP_FUNCTIONS}
    return a2a | connect | mcp | {route for aliases in ACP_ALIASES.values() for route in aliases}

"""The engine: the one interface every protocol door calls, and the execution the state machine
drives. It knows no protocol: doors turn requests into these calls and the results (engine/model.py)
into their own shapes, statuses and errors.

    engine = Engine.default()
    run, replayed = engine.runs.create(tenant_id, RunSpec(...))
    engine.checkpoints.answer(tenant_id, run.run_id, "review-1", Approve(comment="ok"), principal)

Every change of a run's status (start, park, resume, succeed, fail, cancel, time out, re-drive):
lifecycle.py. State machine tasks: execute.py (Execute; durable workflows through durable/stack.py),
checkpoints.py (AwaitHuman, ExpireCheckpoint and the rest of a checkpoint's life), lifecycle.py
`hold` (Suspend), failure.py (RecordFailure). The scheduled reconciler: reconcile.py.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent_runtime.engine.api_keys import ApiKeys
    from agent_runtime.engine.artifacts import Artifacts
    from agent_runtime.engine.assignments import Assignments
    from agent_runtime.engine.checkpoints import Checkpoints
    from agent_runtime.engine.lifecycle import Lifecycle
    from agent_runtime.engine.orchestration import Orchestrator
    from agent_runtime.engine.reconcile import Reconciler
    from agent_runtime.engine.runs import Runs
    from agent_runtime.engine.streams import Streams
    from agent_runtime.engine.threads import Threads
    from agent_runtime.engine.webhooks.deliveries import Deliveries
    from agent_runtime.engine.webhooks.queue import WebhookQueue
    from agent_runtime.store import Store
    from agent_runtime.workflows.registry import Registry


class Engine:
    """The parts are imported when first used: a handler pays at cold start only for what it calls
    (the authorizer, on every request, needs API keys and nothing else)."""

    def __init__(
        self,
        store: Store,
        orchestrator: Orchestrator | None = None,
        webhook_queue: WebhookQueue | None = None,
        workflows: Registry | None = None,
    ) -> None:
        self.store = store
        self._orchestrator = orchestrator
        self._webhook_queue = webhook_queue
        self._workflows = workflows

    @classmethod
    def default(cls) -> Engine:
        """Over the deployment's clients and resources, each created when first needed."""
        from agent_runtime.store import Store

        return cls(Store.default())

    @cached_property
    def orchestrator(self) -> Orchestrator:
        from agent_runtime.engine.orchestration import Orchestrator

        return self._orchestrator or Orchestrator.default()

    @cached_property
    def webhook_queue(self) -> WebhookQueue:
        from agent_runtime.engine.webhooks.queue import WebhookQueue

        return self._webhook_queue or WebhookQueue.default()

    @cached_property
    def workflows(self) -> Registry:
        from agent_runtime.workflows.registry import registry

        return self._workflows or registry()

    @cached_property
    def lifecycle(self) -> Lifecycle:
        from agent_runtime.engine.lifecycle import Lifecycle

        store = self.store
        return Lifecycle(
            store.runs, store.checkpoints, store.payloads, self.orchestrator, self.threads.new_state_entries
        )

    @cached_property
    def runs(self) -> Runs:
        from agent_runtime.engine.runs import Runs

        return Runs(self)

    @cached_property
    def streams(self) -> Streams:
        from agent_runtime.engine.streams import Streams

        return Streams(self)

    @cached_property
    def checkpoints(self) -> Checkpoints:
        from agent_runtime.engine.checkpoints import Checkpoints

        return Checkpoints(self)

    @cached_property
    def assignments(self) -> Assignments:
        from agent_runtime.engine.assignments import Assignments

        return Assignments(self)

    @cached_property
    def threads(self) -> Threads:
        from agent_runtime.engine.threads import Threads

        return Threads(self)

    @cached_property
    def artifacts(self) -> Artifacts:
        from agent_runtime.engine.artifacts import Artifacts

        return Artifacts(self)

    @cached_property
    def deliveries(self) -> Deliveries:
        from agent_runtime.engine.webhooks.deliveries import Deliveries

        return Deliveries(self)

    @cached_property
    def api_keys(self) -> ApiKeys:
        from agent_runtime.engine.api_keys import ApiKeys

        return ApiKeys(self)

    @cached_property
    def reconciler(self) -> Reconciler:
        from agent_runtime.engine.reconcile import Reconciler

        return Reconciler(self)


__all__ = ["Engine"]

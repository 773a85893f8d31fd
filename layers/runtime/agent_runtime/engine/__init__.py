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
    from agent_runtime.clock import Clock
    from agent_runtime.config import Settings
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
    from agent_runtime.engine.webhooks.sender import Sender
    from agent_runtime.engine.webhooks.urls import UrlGuard
    from agent_runtime.store import Store
    from agent_runtime.store.run_changes import RunChanges
    from agent_runtime.store.usage_meter import Meter
    from agent_runtime.workflows.registry import Registry


class Engine:
    """The composition root: it builds each service with what that service uses (store repositories,
    the orchestrator, the webhook queue, the workflows, settings values) and nothing more, so a
    service's constructor says what it depends on. `config`: the settings, read once at the edge
    (Engine.default(), or here when none is given); no service reads settings itself.

    The parts are imported and built when first used: a handler pays at cold start only for what it
    calls (the authorizer, on every request, needs API keys and nothing else)."""

    def __init__(
        self,
        store: Store,
        orchestrator: Orchestrator | None = None,
        webhook_queue: WebhookQueue | None = None,
        workflows: Registry | None = None,
        config: Settings | None = None,
        clock: Clock | None = None,
        run_changes: RunChanges | None = None,
    ) -> None:
        from agent_runtime.clock import SYSTEM

        self.store = store
        self.clock: Clock = clock or SYSTEM  # what every deadline reads (agent_runtime/clock.py)
        # How a wait hears that a run moved: polling unless the host hears every write (run_changes.py)
        self._run_changes = run_changes
        self._orchestrator = orchestrator
        self._webhook_queue = webhook_queue
        self._workflows = workflows
        self._config = config

    @classmethod
    def default(cls, meter: Meter | None = None) -> Engine:
        """Over the deployment's clients and resources, each created when first needed. `meter`: a
        worker's invocation for one run (engine/usage.py `invocation_meter`), what it counts."""
        from agent_runtime.config import settings
        from agent_runtime.store import Store, run_changes

        store = Store.default()
        return cls(
            store.metered(meter) if meter is not None else store,
            config=settings(),
            run_changes=run_changes.installed(),
        )

    @property
    def meter(self) -> Meter | None:
        """The usage meter of the invocation this engine serves (a worker's), if any."""
        return self.store.meter

    def metered(self, meter: Meter) -> Engine:
        """This engine's parts for one invocation that counts its usage in `meter`."""
        return Engine(
            self.store.metered(meter),
            self._orchestrator,
            self._webhook_queue,
            self._workflows,
            self._config,
            self.clock,
            self._run_changes,
        )

    def clocked(self, clock: Clock) -> Engine:
        """This engine's parts over another clock (a test's scripted one)."""
        return Engine(
            self.store,
            self._orchestrator,
            self._webhook_queue,
            self._workflows,
            self._config,
            clock,
            self._run_changes,
        )

    @cached_property
    def config(self) -> Settings:
        from agent_runtime.config import settings

        return self._config or settings()

    @cached_property
    def orchestrator(self) -> Orchestrator:
        from agent_runtime.engine.orchestration import Orchestrator

        return self._orchestrator or Orchestrator.default(self.config)

    @cached_property
    def webhook_queue(self) -> WebhookQueue:
        from agent_runtime.engine.webhooks.queue import WebhookQueue

        return self._webhook_queue or WebhookQueue.default(self.config)

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
        from agent_runtime.store import run_changes

        return Runs(
            self.store,
            self.lifecycle,
            self.threads,
            self.orchestrator,
            self.workflows,
            self.url_guard,
            self.clock,
            self._run_changes or run_changes.Polling(self.clock),
        )

    @cached_property
    def streams(self) -> Streams:
        from agent_runtime.engine.streams import Streams

        return Streams(self.store.events, self.runs, self.clock)

    @cached_property
    def checkpoints(self) -> Checkpoints:
        from agent_runtime.engine.checkpoints import Checkpoints

        return Checkpoints(
            self.store, self.runs, self.lifecycle, self.orchestrator, self.workflows, self.clock, self.meter
        )

    @cached_property
    def assignments(self) -> Assignments:
        from agent_runtime.engine.assignments import Assignments

        return Assignments(self.store, self.runs, self.checkpoints)

    @cached_property
    def threads(self) -> Threads:
        from agent_runtime.engine.threads import Threads

        return Threads(self.store)

    @cached_property
    def artifacts(self) -> Artifacts:
        from agent_runtime.engine.artifacts import Artifacts

        return Artifacts(
            self.store,
            self.runs,
            retention_days=self.config.artifact_retention_days,
            url_ttl_seconds=self.config.artifact_url_ttl_seconds,
        )

    @cached_property
    def deliveries(self) -> Deliveries:
        from agent_runtime.engine.webhooks.deliveries import Deliveries

        return Deliveries(
            self.store,
            self.runs,
            self.webhook_queue,
            self.clock,
            retry_window_seconds=self.config.webhook_retry_window_seconds,
        )

    @cached_property
    def url_guard(self) -> UrlGuard:
        from agent_runtime.engine.webhooks.urls import UrlGuard

        return UrlGuard.of(self.config)

    @cached_property
    def webhook_sender(self) -> Sender:
        from agent_runtime.engine.webhooks.sender import Sender, SenderSettings

        return Sender(
            self.store,
            self.deliveries,
            self.webhook_queue,
            self.url_guard,
            SenderSettings.of(self.config),
            self.clock,
        )

    @cached_property
    def api_keys(self) -> ApiKeys:
        from agent_runtime.engine.api_keys import ApiKeys

        return ApiKeys(self.store.api_keys, usage_plan_id=self.config.usage_plan_id)

    @cached_property
    def reconciler(self) -> Reconciler:
        return self.new_reconciler()

    def new_reconciler(
        self,
        *,
        grace_seconds: float | None = None,
        max_redrives: int | None = None,
        delivery_grace_seconds: float | None = None,
        clock: Clock | None = None,
    ) -> Reconciler:
        """A reconciler over this engine's parts; the settings' timings and the engine's clock unless
        given (tests shorten them, or look from later)."""
        from agent_runtime.engine.reconcile import Reconciler

        config = self.config
        return Reconciler(
            self.store,
            self.lifecycle,
            self.orchestrator,
            self.workflows,
            self.webhook_queue,
            grace_seconds=config.reconcile_grace_seconds if grace_seconds is None else grace_seconds,
            max_redrives=config.reconcile_max_redrives if max_redrives is None else max_redrives,
            delivery_grace_seconds=config.reconcile_delivery_grace_seconds
            if delivery_grace_seconds is None
            else delivery_grace_seconds,
            clock=clock or self.clock,
        )


__all__ = ["Engine"]

"""The reconciler: nothing stuck, nothing lost. A scheduled sweep (EventBridge Scheduler every minute in
the cloud; at start and then periodically in the local stack) that finds

- every active run (queued, running, waiting_for_input) whose current execution is not running: it
  ended, failed, was stopped behind the run's back, or vanished (the local stack restarted). The run is
  re-driven: a new execution, `<run_id>.r<n>`, whose Execute resumes from the run's state in DynamoDB,
  after its last finished step (a run waiting for a human parks again on the same pending checkpoint,
  with what is left of its deadline, under a fresh task token). After `max_redrives` re-drives the run
  fails `ExecutionLost` instead; a run whose cancel died halfway is cancelled;
- every run whose live execution is still parked on a checkpoint that was answered (the answer was
  committed but resuming the execution failed): the execution is resumed;
- every pending webhook delivery long past due: its queue message was lost, so it is enqueued again
  (the message names the delivery's generation and attempt, so a copy that was not lost after all is
  ignored by the sender as stale).

Candidates come from the sparse sweep index (store/schema.py GSI_SWEEP: active runs and pending
deliveries only), liveness from one ListExecutions of the running executions, confirmed per candidate
by DescribeExecution. A run changed in the last `grace_seconds` is left alone (it was just created or
is being worked on). Every change is a conditional write: of two sweeps at once, one re-drives.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from agent_runtime import observability
from agent_runtime.clock import now_iso
from agent_runtime.engine.orchestration import execution_name, redrive_name, run_of, starts_on_express
from agent_runtime.store import keys
from agent_runtime.store.errors import ChangedMeanwhile, ItemNotFound
from agent_runtime.store.run_items import ACTIVE_STATUSES, RunRecord, RunStatus

if TYPE_CHECKING:
    from agent_runtime.clock import Clock
    from agent_runtime.engine.lifecycle import Lifecycle
    from agent_runtime.engine.orchestration import Orchestrator
    from agent_runtime.engine.webhooks.queue import WebhookQueue
    from agent_runtime.store import Store
    from agent_runtime.store.delivery_items import DeliveryRecord
    from agent_runtime.workflows.registry import Registry

log = logging.getLogger(__name__)


@dataclass
class Sweep:
    """What one sweep did, by run or delivery id."""

    redriven: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class Reconciler:
    def __init__(
        self,
        store: Store,
        lifecycle: Lifecycle,
        orchestrator: Orchestrator,
        workflows: Registry,
        webhook_queue: WebhookQueue,
        *,
        grace_seconds: float,
        max_redrives: int,
        delivery_grace_seconds: float,
        clock: Clock,
    ) -> None:
        self.store = store
        self.lifecycle = lifecycle
        self.orchestrator = orchestrator
        self.workflows = workflows
        self.webhook_queue = webhook_queue
        self.grace_seconds = grace_seconds
        self.max_redrives = max_redrives
        self.delivery_grace_seconds = delivery_grace_seconds
        self.clock = clock  # the graces are measured from its now()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def sweep(self) -> Sweep:
        done = Sweep()
        alive = {run_of(name) for name in self.orchestrator.running()}
        for shard in keys.SWEEP_SHARDS:
            for run_id in self.store.runs.active_ids(shard):
                try:
                    if run_id not in alive:
                        self._count(done, run_id, self.reconcile_run(run_id))
                    else:
                        self._count(done, run_id, self.resume_stalled(run_id))
                except Exception:  # one run's failure (AWS still throttled) must not stop the sweep
                    log.exception("reconciler: run %s not reconciled this time", run_id)
            for run_id, seq in self.store.deliveries.pending_keys(shard):
                if (delivery := self.requeue_delivery(run_id, seq)) is not None:
                    done.requeued.append(delivery)
        return done

    def _count(self, done: Sweep, run_id: str, action: str | None) -> None:
        if action is not None:
            getattr(done, action).append(run_id)

    # -- runs ------------------------------------------------------------------------------------
    def reconcile_run(self, run_id: str) -> str | None:
        """Re-drive, fail or cancel one run if it is active and its execution is not running; what was
        done ("redriven", "failed", "cancelled") or None."""
        try:
            seen = self.store.runs.get(run_id)
        except ItemNotFound:
            return None  # deleted since the index was read
        if seen.status not in ACTIVE_STATUSES or self._now() - _epoch(seen.updated_at) < self.grace_for(seen):
            return None
        name = execution_name(seen)
        status = self.orchestrator.status(name)
        if status == "RUNNING":
            return None
        lost = f"execution {name} {status or 'vanished'}"
        if seen.stop_requested:  # its cancel died before ending the run: end it as the cancel would
            with contextlib.suppress(ChangedMeanwhile):
                self.lifecycle.cancel(run_id)
                return self._did("cancelled", seen.run_id, lost)
            return None
        # A run waiting for a person lost its execution to a restart (every local restart loses them
        # all): re-driven as often as that happens, so a pending approval survives any number of them.
        parked = seen.status == RunStatus.WAITING_FOR_INPUT
        if seen.redrives - seen.parked_redrives >= self.max_redrives and not parked:
            message = (
                f"the run's execution was lost {seen.redrives + 1} times (last: {lost} while the run was "
                f"{seen.status}); it is not re-driven again"
            )
            with contextlib.suppress(ChangedMeanwhile):
                self.lifecycle.fail(run_id, "ExecutionLost", message)
                return self._did("failed", seen.run_id, lost)
            return None
        new_name = redrive_name(run_id, seen.redrives + 1)
        try:
            self.lifecycle.redrive(seen, new_name)  # of two sweeps, one claims the run
        except ChangedMeanwhile:
            return None
        self.orchestrator.start(run_id, seen.tenant_id, new_name)
        return self._did("redriven", seen.run_id, f"{lost}; now {new_name}, from step {seen.next_step}")

    def grace_for(self, seen: RunRecord) -> float:
        """How long a run must not have moved before its execution counts as lost: the grace, or, for a
        first execution on the express machine (which AWS can't describe), the workflow's bound."""
        if seen.execution not in (None, seen.run_id):
            return self.grace_seconds
        workflow = self.workflows.get(seen.workflow_name, seen.workflow_version)
        express = starts_on_express(workflow, self.orchestrator.express_state_machine_arn)
        if not express or workflow.max_duration_seconds is None:
            return self.grace_seconds
        return max(self.grace_seconds, float(workflow.max_duration_seconds))

    def resume_stalled(self, run_id: str) -> str | None:
        """Resume a live execution still parked on a checkpoint that was answered (the answer was
        committed but its SendTaskSuccess failed): "resumed", or None. Such a run's last event is the
        answer and it has not moved since."""
        try:
            seen = self.store.runs.get(run_id)
        except ItemNotFound:
            return None
        if seen.status != RunStatus.RUNNING or self._now() - _epoch(seen.updated_at) < self.grace_seconds:
            return None
        last = self.store.events.after(run_id, seen.event_seq - 1, 1)
        if not last or last[0].type != "checkpoint.resolved":
            return None  # a step is running (or the run moved on): nothing is stalled
        checkpoint = self.store.checkpoints.find(run_id, str(last[0].data.get("checkpoint_id")))
        if checkpoint is None or not checkpoint.task_token:
            return None  # not parked yet: AwaitHuman finds the answer and resumes by itself
        self.orchestrator.resume(checkpoint.task_token)  # a token already used is ignored
        return self._did("resumed", run_id, f"parked on answered checkpoint {checkpoint.checkpoint_id}")

    def _did(self, action: str, run_id: str, how: str) -> str:
        log.warning("reconciler: run %s %s (%s)", run_id, action, how)
        observability.metric(observability.RECONCILED, 1, action=action)
        return action

    # -- webhook deliveries ----------------------------------------------------------------------
    def requeue_delivery(self, run_id: str, seq: int) -> str | None:
        """Enqueue a pending delivery again if it is long past due; its id, or None."""
        delivery = self.store.deliveries.find(run_id, seq)
        if delivery is None or delivery.status != "pending" or not self._overdue(delivery):
            return None
        touched = self.store.deliveries.touch(delivery, now_iso())
        if touched is None:
            return None  # attempted, redelivered or requeued by another sweep meanwhile
        self.webhook_queue.enqueue(touched)
        self._did("requeued", run_id, f"delivery {delivery.delivery_id} attempt {delivery.attempt_count + 1}")
        return delivery.delivery_id

    def _overdue(self, delivery: DeliveryRecord) -> bool:
        due = delivery.next_retry_at or delivery.created_at
        return self._now() - max(_epoch(due), _epoch(delivery.updated_at)) >= self.delivery_grace_seconds

"""Every key format of the single table, in one place. docs/data-model.md lists the access patterns
these keys serve; store/schema.py names the key attributes and indexes."""

from __future__ import annotations

import hashlib

META = "META"
SEQ_WIDTH = 12
MAX_SEQ = 10**SEQ_WIDTH - 1

EVENT_PREFIX = "EVT#"
CHECKPOINT_PREFIX = "CKPT#"
OPERATIONS_PREFIX = "DOP#"
ARTIFACT_PREFIX = "ART#"
DELIVERY_PREFIX = "DLV#"
THREAD_STATE_PREFIX = "STATE#"
THREAD_RUN_PREFIX = "RUN#"
RUN_PREFIX = "RUN#"
IDEMPOTENCY_SK = "IDEMPOTENCY"
API_KEY_SK = "APIKEY"
SECRET_SK = "SECRET"
BREAKER_SK = "BREAKER"


def _seq(seq: int) -> str:
    return f"{seq:0{SEQ_WIDTH}d}"


# -- a run's partition: the run, its events, checkpoints, artifacts and deliveries ------------------
def run(run_id: str) -> dict[str, str]:
    return {"PK": RUN_PREFIX + run_id, "SK": META}


def run_pk(run_id: str) -> str:
    return RUN_PREFIX + run_id


def event(run_id: str, seq: int) -> dict[str, str]:
    return {"PK": run_pk(run_id), "SK": EVENT_PREFIX + _seq(seq)}


def checkpoint(run_id: str, checkpoint_id: str) -> dict[str, str]:
    return {"PK": run_pk(run_id), "SK": CHECKPOINT_PREFIX + checkpoint_id}


def run_artifact(run_id: str, artifact_id: str) -> dict[str, str]:
    return {"PK": run_pk(run_id), "SK": ARTIFACT_PREFIX + artifact_id}


def delivery(run_id: str, seq: int) -> dict[str, str]:
    """A webhook delivery of the run's event `seq` (one per event that triggers a webhook)."""
    return {"PK": run_pk(run_id), "SK": DELIVERY_PREFIX + _seq(seq)}


def operations(run_id: str, seq: int) -> dict[str, str]:
    """Batch `seq` of a durable run's operations (store/operation_items.py)."""
    return {"PK": run_pk(run_id), "SK": OPERATIONS_PREFIX + _seq(seq)}


def event_sk(seq: int) -> str:
    return EVENT_PREFIX + _seq(seq)


def delivery_sk(seq: int) -> str:
    return DELIVERY_PREFIX + _seq(seq)


# -- items found by their own id ------------------------------------------------------------------
def artifact(artifact_id: str) -> dict[str, str]:
    return {"PK": f"ARTIFACT#{artifact_id}", "SK": META}


def idempotency(tenant_id: str, key: str) -> dict[str, str]:
    return {"PK": f"IDEM#{tenant_id}#{key}", "SK": IDEMPOTENCY_SK}


def api_key(key: str) -> dict[str, str]:
    """API keys are stored only as their SHA-256."""
    return api_key_by_hash(api_key_hash(key))


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_by_hash(key_hash: str) -> dict[str, str]:
    return {"PK": "APIKEY#" + key_hash, "SK": API_KEY_SK}


def webhook_secret(tenant_id: str) -> dict[str, str]:
    return {"PK": f"WEBHOOKSECRET#{tenant_id}", "SK": SECRET_SK}


def webhook_endpoint(tenant_id: str, endpoint: str) -> dict[str, str]:
    """The circuit breaker of one tenant's webhook endpoint (scheme://host:port), by its SHA-256."""
    digest = hashlib.sha256(endpoint.encode()).hexdigest()[:32]
    return {"PK": f"WEBHOOKENDPOINT#{tenant_id}#{digest}", "SK": BREAKER_SK}


# -- threads: clients choose thread ids, so each tenant has its own namespace -----------------------
def thread_pk(tenant_id: str, thread_id: str) -> str:
    return f"THREAD#{tenant_id}#{thread_id}"  # unambiguous: thread ids never contain a hash sign


def thread(tenant_id: str, thread_id: str) -> dict[str, str]:
    return {"PK": thread_pk(tenant_id, thread_id), "SK": META}


def thread_state(tenant_id: str, thread_id: str, at: str, checkpoint_id: str) -> dict[str, str]:
    return {"PK": thread_pk(tenant_id, thread_id), "SK": f"{THREAD_STATE_PREFIX}{at}#{checkpoint_id}"}


def thread_run(tenant_id: str, thread_id: str, at: str, run_id: str) -> dict[str, str]:
    return {"PK": thread_pk(tenant_id, thread_id), "SK": f"{THREAD_RUN_PREFIX}{at}#{run_id}"}


# -- index partitions (schema.GSI_*) and their sort values ------------------------------------------
def tenant_runs(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def tenant_runs_in_status(tenant_id: str, status: str) -> str:
    return f"TENANT#{tenant_id}#STATUS#{status}"


def tenant_runs_of_workflow(tenant_id: str, workflow_name: str) -> str:
    return f"TENANT#{tenant_id}#WF#{workflow_name}"


def tenant_threads(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#THREADS"


def tenant_inbox(tenant_id: str, status: str) -> str:
    """A tenant's checkpoints in one status (pending ones are the approvals inbox)."""
    return f"TENANT#{tenant_id}#CKPT#{status}"


def api_keys() -> str:
    """Every API key, for operators listing them (keys created before this index was kept are missing)."""
    return "APIKEYS"


# The sweep index's partitions: a few per kind (by the run id's first hex digit), so no partition takes
# every write of the whole table's active runs.
SWEEP_SHARDS = "0123456789abcdef"
SWEEP_RUNS = "RUN"
SWEEP_DELIVERIES = "DLV"


def sweep(kind: str, run_id: str) -> str:
    """The sweep index partition of an active run or a pending delivery of the run."""
    return sweep_shard(kind, run_id[:1])


def sweep_shard(kind: str, shard: str) -> str:
    return f"SWEEP#{kind}#{shard}"


def created_key(created_at: str, *ids: str) -> str:
    return "#".join((created_at, *ids))

"""The single-table key design. docs/data-model.md lists the access patterns these keys serve."""

from __future__ import annotations

META = "META"
EVENT_PREFIX = "EVT#"
SEQ_WIDTH = 12

# Listing indexes: every run item is in GSI1 (tenant), GSI2 (tenant+status), GSI3 (tenant+workflow),
# all sorted by `created_key` = "<created_at>#<run_id>" so newest-first paging is one Query.
GSI_TENANT = "gsi1"
GSI_STATUS = "gsi2"
GSI_WORKFLOW = "gsi3"
LIST_SORT_ATTR = "created_key"


def run_pk(run_id: str) -> str:
    return f"RUN#{run_id}"


def event_sk(seq: int) -> str:
    return f"{EVENT_PREFIX}{seq:0{SEQ_WIDTH}d}"


def idempotency_pk(tenant_id: str, key: str) -> str:
    return f"IDEM#{tenant_id}#{key}"


def tenant_key(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def status_key(tenant_id: str, status: str) -> str:
    return f"TENANT#{tenant_id}#STATUS#{status}"


def workflow_key(tenant_id: str, workflow_name: str) -> str:
    return f"TENANT#{tenant_id}#WF#{workflow_name}"


DELIVERY_PREFIX = "DLV#"


def delivery_sk(seq: int) -> str:
    """A webhook delivery of the run's event `seq` (one per event that triggers a webhook)."""
    return f"{DELIVERY_PREFIX}{seq:0{SEQ_WIDTH}d}"


def webhook_secret_pk(tenant_id: str) -> str:
    return f"WEBHOOKSECRET#{tenant_id}"

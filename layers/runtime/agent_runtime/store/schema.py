"""The table's schema: key attributes, indexes, stream and TTL. Plain data, no AWS calls.

The store queries by these names, infra/data.py declares the table from them and the local stack
creates the same table in moto: one source, so the three can't drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PARTITION_KEY = "PK"
SORT_KEY = "SK"
# Every index sorts by this attribute: "<created_at>#<id>", so newest-first paging is one Query.
INDEX_SORT_KEY = "created_key"
TTL_ATTRIBUTE = "expires_at"
# The table's stream feeds the webhook dispatcher (event items are the outbox), which reads only the
# new image of an inserted event page: the old images, half of every update's record, go unwritten.
STREAM_VIEW: Final = "NEW_IMAGE"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str = INDEX_SORT_KEY
    # What the index copies of each item: "ALL", or "KEYS_ONLY" for indexes read only for keys.
    projection: str = "ALL"


GSI_TENANT = Index("gsi1", "gsi1pk")  # runs, threads and checkpoint inboxes of a tenant
GSI_STATUS = Index("gsi2", "gsi2pk")  # runs of a tenant in one status
GSI_WORKFLOW = Index("gsi3", "gsi3pk")  # runs of a tenant of one workflow
# Sparse, across tenants: only active runs and pending webhook deliveries carry its key, so the
# reconciler's sweep reads just those (engine/reconcile.py). Keys only: the sweep reads items itself.
GSI_SWEEP = Index("gsi4", "gsi4pk", projection="KEYS_ONLY")
INDEXES: tuple[Index, ...] = (GSI_TENANT, GSI_STATUS, GSI_WORKFLOW, GSI_SWEEP)

# Every attribute some key or index is built from; all strings.
KEY_ATTRIBUTES: tuple[str, ...] = (
    PARTITION_KEY,
    SORT_KEY,
    INDEX_SORT_KEY,
    *(index.partition_key for index in INDEXES),
)

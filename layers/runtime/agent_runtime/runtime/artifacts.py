"""Artifacts as the API shows them: metadata, and for one artifact a short-lived download URL."""

from __future__ import annotations

from typing import Any

from agent_runtime.store import artifacts as artifact_store
from agent_runtime.store import runs as run_store


def list_for_run(tenant_id: str, run_id: str) -> dict[str, Any]:
    run_store.get(run_id, tenant_id)
    return {"data": [a.public() for a in artifact_store.list_for_run(run_id)]}


def get(tenant_id: str, artifact_id: str) -> dict[str, Any]:
    record = artifact_store.get(artifact_id, tenant_id)
    url, expires_at = artifact_store.download_url(record)
    return {**record.public(), "download_url": url, "expires_at": expires_at}

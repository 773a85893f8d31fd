"""Artifacts as the API shows them: metadata, and for one artifact a short-lived download URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent_runtime.config import settings
from agent_runtime.errors import NotFound
from agent_runtime.store import artifacts as artifact_store
from agent_runtime.store import runs as run_store
from agent_runtime.store.artifacts import ArtifactRecord


def _kept(record: ArtifactRecord) -> bool:
    """False once the bucket's lifecycle rule (ARTIFACT_RETENTION_DAYS) has deleted, or may have
    deleted, the artifact's bytes: its metadata must not lead to a dead URL."""
    days = settings().artifact_retention_days
    if days is None:
        return True
    created = datetime.fromisoformat(record.created_at.replace("Z", "+00:00"))
    return datetime.now(UTC) < created + timedelta(days=days)


def list_for_run(tenant_id: str, run_id: str) -> dict[str, Any]:
    run_store.get(run_id, tenant_id)
    return {"data": [a.public() for a in artifact_store.list_for_run(run_id) if _kept(a)]}


def get(tenant_id: str, artifact_id: str) -> dict[str, Any]:
    record = artifact_store.get(artifact_id, tenant_id)
    if not _kept(record):
        raise NotFound(
            f"artifact {artifact_id!r} is past its {settings().artifact_retention_days}-day retention"
        )
    url, expires_at = artifact_store.download_url(record)
    return {**record.public(), "download_url": url, "expires_at": expires_at}

"""Artifacts: files a run produced, listed per run and downloaded through short-lived URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from agent_runtime.engine.model import Artifact, ArtifactDownload
from agent_runtime.errors import NotFound
from agent_runtime.store.errors import ItemNotFound

if TYPE_CHECKING:
    from agent_runtime.engine.runs import Runs
    from agent_runtime.store import Store


class Artifacts:
    def __init__(self, store: Store, runs: Runs, *, retention_days: int | None, url_ttl_seconds: int) -> None:
        self.store = store
        self.runs = runs
        # Days the bucket keeps artifacts (ARTIFACT_RETENTION_DAYS), None: until the run is deleted.
        self.retention_days = retention_days
        self.url_ttl_seconds = url_ttl_seconds

    def _kept(self, artifact: Artifact) -> bool:
        """False once the bucket's lifecycle rule (ARTIFACT_RETENTION_DAYS) has deleted, or may have
        deleted, the artifact's bytes: its metadata must not lead to a dead URL."""
        days = self.retention_days
        if days is None:
            return True
        created = datetime.fromisoformat(artifact.created_at.replace("Z", "+00:00"))
        return datetime.now(UTC) < created + timedelta(days=days)

    def list_for_run(self, tenant_id: str, run_id: str) -> list[Artifact]:
        self.runs.record(tenant_id, run_id)
        return [a for a in self.store.artifacts.list_for_run(run_id) if self._kept(a)]

    def get(self, tenant_id: str, artifact_id: str) -> ArtifactDownload:
        """The artifact with a pre-signed download URL and when that URL expires (RFC 3339)."""
        artifact = self.record(tenant_id, artifact_id)
        ttl = self.url_ttl_seconds
        url = self.store.artifact_objects.download_url(artifact, ttl)
        expires = datetime.now(UTC) + timedelta(seconds=ttl)
        return ArtifactDownload(artifact, url, expires.isoformat(timespec="seconds").replace("+00:00", "Z"))

    def record(self, tenant_id: str, artifact_id: str) -> Artifact:
        """The tenant's artifact whose bytes are still kept; NotFound otherwise (another tenant's too)."""
        try:
            artifact = self.store.artifacts.get(artifact_id)
        except ItemNotFound:
            artifact = None
        if artifact is None or artifact.tenant_id != tenant_id:
            raise NotFound(f"artifact {artifact_id!r} does not exist")
        if not self._kept(artifact):
            raise NotFound(f"artifact {artifact_id!r} is past its {self.retention_days}-day retention")
        return artifact

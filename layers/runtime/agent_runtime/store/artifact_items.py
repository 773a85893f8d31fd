"""Artifacts: the object in S3 (server-side encrypted) and its metadata, twice in DynamoDB:
`RUN#<run_id> / ART#<id>` lists a run's artifacts, `ARTIFACT#<id> / META` finds one by id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from agent_runtime.store import keys
from agent_runtime.store.dynamo import Table
from agent_runtime.store.errors import ItemNotFound

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class ArtifactRecord:
    artifact_id: str
    run_id: str
    tenant_id: str
    name: str
    content_type: str
    size: int
    sha256: str
    object_key: str
    step: str
    created_at: str


_FIELDS = frozenset(f.name for f in fields(ArtifactRecord))


def _from(values: Mapping[str, Any]) -> ArtifactRecord:
    return ArtifactRecord(**{k: v for k, v in values.items() if k in _FIELDS})


def object_key(tenant_id: str, run_id: str, artifact_id: str) -> str:
    return f"artifacts/{tenant_id}/{run_id}/{artifact_id}"


class ArtifactItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def put_entries(self, record: ArtifactRecord) -> list[dict[str, Any]]:
        """Transaction entries for the metadata; a retried step re-putting the same artifact fails
        their condition, and the caller treats that as already done."""
        values = asdict(record)
        return [
            self.table.put_entry({**values, **key}, condition="attribute_not_exists(PK)")
            for key in (
                keys.run_artifact(record.run_id, record.artifact_id),
                keys.artifact(record.artifact_id),
            )
        ]

    def get(self, artifact_id: str) -> ArtifactRecord:
        values = self.table.get(keys.artifact(artifact_id))
        if values is None:
            raise ItemNotFound(f"artifact {artifact_id!r} does not exist")
        return _from(values)

    def list_for_run(self, run_id: str) -> list[ArtifactRecord]:
        items = self.table.query_all(
            "PK = :pk AND begins_with(SK, :prefix)",
            {":pk": keys.run_pk(run_id), ":prefix": keys.ARTIFACT_PREFIX},
        )
        return sorted((_from(values) for values in items), key=lambda r: r.created_at)


class ArtifactObjects:
    """The artifacts' bytes in S3, and pre-signed URLs to download them."""

    def __init__(self, client: S3Client, presigner: S3Client, bucket: str) -> None:
        self.client = client
        self.presigner = presigner
        self.bucket = bucket

    def upload(self, record: ArtifactRecord, body: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=record.object_key,
            Body=body,
            ContentType=record.content_type,
            ServerSideEncryption="AES256",
        )

    def download_url(self, record: ArtifactRecord, ttl_seconds: int) -> str:
        return self.presigner.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": record.object_key}, ExpiresIn=ttl_seconds
        )

    def read_start(self, record: ArtifactRecord, max_bytes: int) -> bytes:
        """The object's first `max_bytes` bytes (a ranged GET: a preview never reads a whole large file)."""
        response = self.client.get_object(
            Bucket=self.bucket, Key=record.object_key, Range=f"bytes=0-{max(max_bytes, 1) - 1}"
        )
        return response["Body"].read()

"""Artifacts: the object in S3 (server-side encrypted) and its metadata, twice in DynamoDB:
`RUN#<run_id> / ART#<id>` lists a run's artifacts, `ARTIFACT#<id> / META` finds one by id."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from agent_runtime import aws
from agent_runtime.config import settings
from agent_runtime.errors import NotFound
from agent_runtime.store import keys
from agent_runtime.store.attrs import from_item, to_attr, to_item


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

    def public(self) -> dict[str, Any]:
        values = asdict(self)
        del values["object_key"], values["tenant_id"]
        return values


_FIELDS = frozenset(f.name for f in fields(ArtifactRecord))


def object_key(tenant_id: str, run_id: str, artifact_id: str) -> str:
    return f"artifacts/{tenant_id}/{run_id}/{artifact_id}"


def upload(record: ArtifactRecord, body: bytes) -> None:
    aws.s3().put_object(
        Bucket=settings().bucket_name,
        Key=record.object_key,
        Body=body,
        ContentType=record.content_type,
        ServerSideEncryption="AES256",
    )


def put_items(record: ArtifactRecord) -> list[dict[str, Any]]:
    """Transaction entries for the metadata; a retried step re-putting the same artifact fails their
    condition, and the caller treats that as already done."""
    values = asdict(record)
    run_item = {**values, "PK": keys.run_pk(record.run_id), "SK": f"ART#{record.artifact_id}"}
    lookup = {**values, "PK": f"ARTIFACT#{record.artifact_id}", "SK": keys.META}
    return [
        {
            "Put": {
                "TableName": settings().table_name,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        for item in (run_item, lookup)
    ]


def _from(item: dict[str, Any]) -> ArtifactRecord:
    return ArtifactRecord(**{k: v for k, v in from_item(item).items() if k in _FIELDS})


def get(artifact_id: str, tenant_id: str) -> ArtifactRecord:
    response = aws.dynamodb().get_item(
        TableName=settings().table_name,
        Key={"PK": to_attr(f"ARTIFACT#{artifact_id}"), "SK": to_attr(keys.META)},
    )
    if "Item" not in response or from_item(response["Item"])["tenant_id"] != tenant_id:
        raise NotFound(f"artifact {artifact_id!r} does not exist")
    return _from(response["Item"])


def list_for_run(run_id: str) -> list[ArtifactRecord]:
    response = aws.dynamodb().query(
        TableName=settings().table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": to_attr(keys.run_pk(run_id)), ":prefix": to_attr("ART#")},
        ConsistentRead=True,
    )
    return sorted((_from(item) for item in response.get("Items", [])), key=lambda r: r.created_at)


def download_url(record: ArtifactRecord) -> tuple[str, str]:
    """A pre-signed GET URL for the object and when it expires (RFC 3339)."""
    ttl = settings().artifact_url_ttl_seconds
    url = aws.s3_presigner().generate_presigned_url(
        "get_object",
        Params={"Bucket": settings().bucket_name, "Key": record.object_key},
        ExpiresIn=ttl,
    )
    expires = datetime.now(UTC) + timedelta(seconds=ttl)
    return url, expires.isoformat(timespec="seconds").replace("+00:00", "Z")

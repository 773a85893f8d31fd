"""Claim check for JSON values: small ones stay inline in the item, large ones go to S3.

DynamoDB items stop at 400 KB and Step Functions payloads at 256 KB, so any value above the inline
limit (64 KiB by default) is written to S3 (server-side encrypted) and the item keeps only its key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REF_PREFIX = "s3:"


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Payloads:
    client: S3Client
    bucket: str
    inline_limit: int

    def dump(self, tenant_id: str, owner_id: str, name: str, value: Any) -> str:
        """The item attribute for `value`: its JSON, or a reference to where its JSON was put in S3."""
        text = to_json(value)
        if len(text.encode()) <= self.inline_limit:
            return text
        key = f"payloads/{tenant_id}/{owner_id}/{name}.json"
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=text.encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )
        return REF_PREFIX + key

    def load(self, stored: str | None) -> Any:
        if stored is None:
            return None
        if stored.startswith(REF_PREFIX):
            body = self.client.get_object(Bucket=self.bucket, Key=stored[len(REF_PREFIX) :])["Body"]
            return json.loads(body.read())
        return json.loads(stored)


def default_payloads() -> Payloads:
    from agent_runtime import aws
    from agent_runtime.config import settings

    return Payloads(aws.s3(), settings().bucket_name, settings().inline_payload_limit)

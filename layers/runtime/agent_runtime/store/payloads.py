"""Claim check for JSON values: small ones stay inline in the item, large ones go to S3.

DynamoDB items stop at 400 KB and Step Functions payloads at 256 KB, so any run value above
INLINE_PAYLOAD_LIMIT is written to S3 (server-side encrypted) and the item keeps only its key.
"""

from __future__ import annotations

import json
from typing import Any

from agent_runtime import aws
from agent_runtime.config import settings

REF_PREFIX = "s3:"


def dump(tenant_id: str, run_id: str, name: str, value: Any) -> str:
    """The item attribute for `value`: its JSON, or a reference to where its JSON was put in S3."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) <= settings().inline_payload_limit:
        return text
    key = f"payloads/{tenant_id}/{run_id}/{name}.json"
    aws.s3().put_object(
        Bucket=settings().bucket_name,
        Key=key,
        Body=text.encode(),
        ContentType="application/json",
        ServerSideEncryption="AES256",
    )
    return REF_PREFIX + key


def load(stored: str | None) -> Any:
    if stored is None:
        return None
    if stored.startswith(REF_PREFIX):
        body = aws.s3().get_object(Bucket=settings().bucket_name, Key=stored[len(REF_PREFIX) :])["Body"]
        return json.loads(body.read())
    return json.loads(stored)

"""The local stack's doors are shut as the cloud's are: the download endpoint serves only signed,
unexpired GETs of the artifacts bucket, webhooks can't be aimed at it, credentials the authorizer
doesn't take are a 401 (not the keyless tenant), a tenant over its rate gets 429 alone, and `dev`
refuses a network-facing host without keys."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.auth
import httpx
import pytest
from typer.testing import CliRunner

from agent_runtime import aws
from agent_runtime.config import settings
from agent_runtime.engine import Engine
from agent_runtime_local import gateway
from agent_runtime_local.cli import app
from agent_runtime_local.cloud import Resources
from functions.manifest import Throttle
from tests.conftest import Api


@pytest.fixture
def stored(cloud: Resources) -> str:
    """An object in the artifacts bucket."""
    key = f"artifacts/{uuid.uuid4().hex}/doc.md"
    aws.s3().put_object(Bucket=cloud.bucket, Key=key, Body=b"# the document", ContentType="text/markdown")
    return key


def presign(bucket: str, key: str, operation: str = "get_object", expires: int = 60) -> str:
    url: str = aws.s3_presigner().generate_presigned_url(
        operation, Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
    )
    return url


def s3_error(reply: httpx.Response) -> str:
    assert reply.headers["content-type"] == "application/xml", reply.text
    return reply.text.split("<Code>")[1].split("</Code>")[0]


def test_a_valid_presigned_url_downloads_the_object(cloud: Resources, stored: str) -> None:
    url = presign(cloud.bucket, stored)
    assert url.startswith(settings().artifact_download_endpoint)
    got = httpx.get(url)
    assert (got.status_code, got.content) == (200, b"# the document")
    assert got.headers["content-type"] == "text/markdown"
    head = httpx.head(presign(cloud.bucket, stored, "head_object"))
    assert (head.status_code, head.headers["content-length"]) == (200, str(len(b"# the document")))


def test_a_tampered_signature_or_path_is_refused(cloud: Resources, stored: str) -> None:
    url = presign(cloud.bucket, stored)
    flipped = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert s3_error(httpx.get(flipped)) == "SignatureDoesNotMatch"
    other = url.replace("/doc.md?", "/other.md?")
    assert s3_error(httpx.get(other)) == "SignatureDoesNotMatch"
    assert httpx.head(url).status_code == 403  # signed for GET
    unsigned = url.split("?")[0]
    assert s3_error(httpx.get(unsigned)) == "AccessDenied"


def test_an_expired_url_is_refused(cloud: Resources, stored: str, monkeypatch: pytest.MonkeyPatch) -> None:
    an_hour_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: an_hour_ago)
    reply = httpx.get(presign(cloud.bucket, stored, expires=60))
    assert (reply.status_code, s3_error(reply)) == (403, "AccessDenied")
    assert "expired" in reply.text


def test_only_the_buckets_objects_and_only_get_and_head(cloud: Resources, stored: str) -> None:
    endpoint = settings().artifact_download_endpoint
    url = presign(cloud.bucket, stored)
    query = url.split("?", 1)[1]
    for path in ("/", f"/another-bucket/{stored}?{query}", f"/{cloud.bucket}?list-type=2"):
        reply = httpx.get(endpoint + path)
        assert (reply.status_code, s3_error(reply)) == (403, "AccessDenied"), path
    for method in ("PUT", "POST", "DELETE"):
        reply = httpx.request(method, url, content=b"overwritten")
        assert (reply.status_code, s3_error(reply)) == (405, "MethodNotAllowed"), method
    assert httpx.get(url).content == b"# the document"


def test_a_callback_url_aimed_at_the_download_endpoint_is_refused(api: Api) -> None:
    port = httpx.URL(settings().artifact_download_endpoint).port
    for url in (f"http://127.0.0.1:{port}/artifacts-bucket/x", f"http://localhost:{port}/"):
        reply = api.create("echo", {}, callback_url=url)
        assert reply.status == 422, reply.text
        assert [e["field"] for e in reply.json()["errors"]] == ["callback_url"]
        assert "own endpoints" in reply.json()["errors"][0]["message"]


def send(app_: Any, requests: list[tuple[str, dict[str, str]]]) -> list[httpx.Response]:
    """GET each (path, headers) in turn against one gateway app."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app_)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            return [await client.get(path, headers=headers) for path, headers in requests]

    return asyncio.run(run())


def test_credentials_the_authorizer_does_not_take_are_a_401(cloud: Resources) -> None:
    replies = send(
        gateway.create_app(),
        [
            ("/v1/runs", {"Authorization": "Token x"}),
            ("/v1/runs", {"Authorization": "Bearer not-a-key"}),
            ("/v1/runs", {"X-API-Key": "not-a-key"}),
            ("/v1/runs", {}),  # no credentials at all: the keyless tenant `default`
        ],
    )
    assert [r.status_code for r in replies] == [401, 401, 401, 200]
    assert replies[0].headers["content-type"] == "application/problem+json"


def test_a_throttled_tenant_does_not_slow_another(cloud: Resources) -> None:
    busy, quiet = (Engine.default().api_keys.create(f"t-{uuid.uuid4().hex[:12]}") for _ in range(2))
    app_ = gateway.create_app(tenant_throttle=Throttle(rate_per_second=0.01, burst=2))
    as_busy = ("/v1/runs", {"Authorization": f"Bearer {busy}"})
    as_quiet = ("/v1/runs", {"Authorization": f"Bearer {quiet}"})
    replies = send(app_, [as_busy, as_busy, as_busy, as_quiet, as_quiet])
    assert [r.status_code for r in replies] == [200, 200, 429, 200, 200]
    throttled = replies[2]
    assert throttled.headers["content-type"] == "application/problem+json"
    assert int(throttled.headers["retry-after"]) >= 1
    assert throttled.json()["status"] == 429


def test_dev_refuses_a_network_facing_host_without_keys() -> None:
    result = CliRunner().invoke(app, ["dev", "--host", "0.0.0.0", "--ephemeral"])
    assert result.exit_code == 2
    assert "--require-keys" in result.output

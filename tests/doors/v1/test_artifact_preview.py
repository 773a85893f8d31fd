"""GET /v1/artifacts/{id}/preview: an artifact's content as JSON from the API's own origin, for the
console's preview (text, Markdown, JSON, raster images), bounded, and never another tenant's."""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest

from agent_runtime.clock import now_iso
from agent_runtime.engine import Engine
from agent_runtime.engine.artifact_preview import IMAGE_LIMIT, TEXT_LIMIT
from agent_runtime.store.artifact_items import ArtifactRecord, object_key
from tests.conftest import Api

# The smallest valid PNG: 1x1, transparent.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def stored(tenant: str, name: str, content_type: str, body: bytes, run_id: str | None = None) -> str:
    """An artifact as a step stores it: its bytes in S3 and its metadata items."""
    store = Engine.default().store
    run_id, artifact_id = run_id or str(uuid.uuid4()), str(uuid.uuid4())
    record = ArtifactRecord(
        artifact_id=artifact_id,
        run_id=run_id,
        tenant_id=tenant,
        name=name,
        content_type=content_type,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        object_key=object_key(tenant, run_id, artifact_id),
        step="make",
        created_at=now_iso(),
    )
    store.artifact_objects.upload(record, body)
    assert store.table.transact(store.artifacts.put_entries(record)) is None
    return artifact_id


def preview(api: Api, artifact_id: str) -> dict[str, object]:
    reply = api("GET", f"/v1/artifacts/{artifact_id}/preview")
    assert reply.status == 200, reply.text
    assert reply.headers["Content-Type"] == "application/json"
    body: dict[str, object] = reply.json()
    return body


@pytest.mark.parametrize(
    ("name", "content_type", "body", "kind"),
    [
        ("notes.txt", "text/plain; charset=utf-8", "héllo\nworld".encode(), "text"),
        ("draft.md", "text/markdown", b"# Title\n\n*ok*", "markdown"),
        ("draft.md", "text/plain; charset=utf-8", b"# Title", "markdown"),
        ("data.json", "application/json", b'{"a": [1, 2]}', "json"),
        ("page.html", "text/html", b"<script>alert(1)</script>", "text"),  # shown as text, never run
    ],
)
def test_text_kinds_come_back_as_text(api: Api, name: str, content_type: str, body: bytes, kind: str) -> None:
    shown = preview(api, stored(api.tenant, name, content_type, body))
    assert (shown["kind"], shown["text"], shown["truncated"]) == (kind, body.decode(), False)
    assert shown["name"] == name and shown["size"] == len(body)


def test_a_long_text_is_cut_at_the_limit_without_splitting_a_character(api: Api) -> None:
    body = ("a" * (TEXT_LIMIT - 1) + "é" + "tail").encode()  # "é" straddles the limit
    shown = preview(api, stored(api.tenant, "big.txt", "text/plain", body))
    assert shown["truncated"] is True
    assert shown["text"] == "a" * (TEXT_LIMIT - 1)


def test_an_image_comes_back_as_base64_and_svg_is_not_previewed(api: Api) -> None:
    shown = preview(api, stored(api.tenant, "dot.png", "image/png", PNG))
    assert shown["kind"] == "image"
    assert base64.b64decode(str(shown["data_base64"])) == PNG
    svg = preview(api, stored(api.tenant, "x.svg", "image/svg+xml", b"<svg onload='alert(1)'/>"))
    assert svg["kind"] == "none" and svg["text"] is None and "image/svg+xml" in str(svg["reason"])


def test_too_large_images_binary_and_invalid_utf8_say_why_instead(api: Api) -> None:
    big = preview(api, stored(api.tenant, "big.png", "image/png", PNG + b"\0" * IMAGE_LIMIT))
    assert big["kind"] == "none" and big["data_base64"] is None and "download it" in str(big["reason"])
    binary = preview(api, stored(api.tenant, "blob.bin", "application/octet-stream", b"\x00\x01"))
    assert binary["kind"] == "none"
    latin1 = preview(api, stored(api.tenant, "old.txt", "text/plain", "café".encode("latin-1")))
    assert latin1["kind"] == "none" and "UTF-8" in str(latin1["reason"])


def test_another_tenants_artifact_and_an_unknown_id_are_404(api: Api, other_api: Api) -> None:
    artifact_id = stored(api.tenant, "secret.txt", "text/plain", b"mine")
    reply = other_api("GET", f"/v1/artifacts/{artifact_id}/preview")
    assert reply.status == 404
    assert "mine" not in reply.text
    assert api("GET", f"/v1/artifacts/{uuid.uuid4()}/preview").status == 404

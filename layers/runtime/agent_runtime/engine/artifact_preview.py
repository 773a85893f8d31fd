"""An artifact's content for the console to show in place: text, Markdown and JSON as text (their first
TEXT_LIMIT bytes), raster images as base64 (up to IMAGE_LIMIT), anything else as "none" with why.

Served as JSON from the API's own origin (decision 89): the console's CSP keeps `connect-src 'self'`,
and nothing of the artifact is ever served under its own content type from that origin, so an HTML or
SVG artifact can't run as the console. SVG is not previewed for that reason.
"""

from __future__ import annotations

import base64
import codecs
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from agent_runtime.engine import Engine
    from agent_runtime.engine.model import Artifact

TEXT_LIMIT = 256 * 1024
IMAGE_LIMIT = 1024 * 1024  # ~1.4 MB as base64: well inside a Lambda response's 6 MB
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

Kind = Literal["text", "markdown", "json", "image", "none"]


@dataclass(frozen=True)
class Preview:
    artifact: Artifact
    kind: Kind
    text: str | None = None
    data_base64: str | None = None
    truncated: bool = False
    reason: str | None = None


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def text_kind(artifact: Artifact) -> Kind | None:
    media = media_type(artifact.content_type)
    if media == "application/json" or media.endswith("+json"):
        return "json"
    if media in ("text/markdown", "text/x-markdown") or (
        media == "text/plain" and artifact.name.lower().endswith((".md", ".markdown"))
    ):
        return "markdown"
    if media.startswith("text/"):
        return "text"
    return None


def preview(engine: Engine, tenant_id: str, artifact_id: str) -> Preview:
    artifact = engine.artifacts.record(tenant_id, artifact_id)
    objects = engine.store.artifact_objects
    kind = text_kind(artifact)
    if kind is not None:
        head = objects.read_start(artifact, TEXT_LIMIT) if artifact.size else b""
        truncated = artifact.size > len(head)
        try:
            # Incremental: a cut inside a multi-byte character at the limit is dropped, not an error.
            text = codecs.getincrementaldecoder("utf-8")().decode(head, final=not truncated)
        except UnicodeDecodeError:
            return Preview(artifact, "none", reason="it is not UTF-8 text: download it instead")
        return Preview(artifact, kind, text=text, truncated=truncated)
    media = media_type(artifact.content_type)
    if media in IMAGE_TYPES:
        if artifact.size > IMAGE_LIMIT:
            return Preview(
                artifact,
                "none",
                reason=f"the image is {artifact.size} bytes, over the preview's {IMAGE_LIMIT}: download it",
            )
        body = objects.read_start(artifact, IMAGE_LIMIT) if artifact.size else b""
        return Preview(artifact, "image", data_base64=base64.b64encode(body).decode("ascii"))
    return Preview(artifact, "none", reason=f"no preview for {media or 'this type'}: download it instead")

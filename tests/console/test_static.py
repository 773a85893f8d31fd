"""The console's files themselves: nothing inline (the Content-Security-Policy allows none), nothing
fetched from elsewhere, no HTML built from strings, the key only in sessionStorage, and every file a
type the local gateway serves."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from agent_runtime_local import gateway
from agent_runtime_local.gateway import CONSOLE_TYPES, console_headers

STATIC = Path(__file__).resolve().parents[2] / "console" / "static"
FILES = sorted(p for p in STATIC.rglob("*") if p.is_file())
SCRIPTS = [p for p in FILES if p.suffix == ".js"]


def test_every_file_is_a_type_the_gateway_serves_and_the_page_is_small() -> None:
    assert (STATIC / "index.html") in FILES
    assert all(p.suffix in CONSOLE_TYPES for p in FILES), [
        p.name for p in FILES if p.suffix not in CONSOLE_TYPES
    ]
    total = sum(p.stat().st_size for p in FILES)
    assert total < 160 * 1024, f"the console grew to {total / 1024:.0f} KB"


def test_no_inline_script_or_style_and_nothing_from_elsewhere() -> None:
    for page in (p for p in FILES if p.suffix == ".html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"{page.name}: inline script"
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), f"{page.name}: inline style or handler"
        assert not re.search(r"""(src|href)=["'](https?:)?//""", html), f"{page.name}: loads from elsewhere"
    for script in SCRIPTS:
        code = script.read_text()
        assert not re.search(r"https?://", code.replace("http:", "").replace("https:", "")), script.name
        assert not re.search(r"import\s*\(?\s*[\"']https?:", code), f"{script.name}: imports from elsewhere"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(STATIC)))
def test_no_html_from_strings_and_no_eval(script: Path) -> None:
    code = script.read_text()
    for pattern in (
        r"\.innerHTML\b",
        r"\.outerHTML\b",
        r"insertAdjacentHTML",
        r"document\.write",
        r"\beval\(",
        r"new Function\(",
        r"setAttribute\(\s*[\"']style",
        r"\.style\.",
        r"localStorage",
        r"document\.cookie",
    ):
        assert not re.search(pattern, code), f"{script.name}: {pattern}"


def test_the_key_lives_in_session_storage_and_travels_as_a_bearer_header() -> None:
    session = (STATIC / "js" / "session.js").read_text()
    assert "sessionStorage.setItem" in session and "Authorization: `Bearer ${key}`" in session
    for script in SCRIPTS:
        code = script.read_text()
        assert not re.search(r"[?&](api_?key|key|token)=", code), f"{script.name}: a key in a URL"


def test_the_headers_forbid_inline_code() -> None:
    csp = dict(part.strip().split(" ", 1) for part in console_headers()["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and csp["connect-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in console_headers()["Content-Security-Policy"]


def _local(method: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=gateway.create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(call())


def test_the_local_gateway_serves_the_files_publicly_with_their_headers() -> None:
    first = _local("GET", "/console/js/app.js")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/javascript")
    assert first.content == (STATIC / "js" / "app.js").read_bytes()
    for name, value in console_headers().items():
        assert first.headers[name] == value
    again = _local("GET", "/console/js/app.js", {"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    head = _local("HEAD", "/console/index.html")
    assert head.status_code == 200 and not head.content
    assert int(head.headers["content-length"]) == (STATIC / "index.html").stat().st_size
    for path in ("/console", "/console/"):
        redirect = _local("GET", path)
        assert (redirect.status_code, redirect.headers["location"]) == (302, "/console/index.html")
    outside = ("/console/%2e%2e/headers.json", "/console/../pyproject.toml", "/console/js", "/console/no.js")
    for path in outside:
        missing = _local("GET", path)
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert _local("POST", "/console/index.html").status_code == 404  # no other method on the files

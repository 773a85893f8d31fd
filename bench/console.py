"""The approvals console's two numbers, for docs/decisions.md 35-37: what a function serving its files
would pay at a cold start (the path not taken: the files are S3 objects behind the API, no function
runs), and what the inbox view weighs. Writes bench/reports/console.md.

Run: .venv/bin/python bench/console.py   (medians of fresh interpreters; compare ratios, not absolutes)
"""

from __future__ import annotations

import gzip
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 7
ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "console" / "static"
REPORT = Path(__file__).parent / "reports" / "console.md"
ENV = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}

# What the inbox view loads (index.html's script and module preloads, its view, the icon).
INBOX_FILES = (
    "index.html",
    "console.css",
    "favicon.svg",
    "js/app.js",
    "js/api.js",
    "js/dom.js",
    "js/session.js",
    "js/store.js",
    "js/views/inbox.js",
)

SERVE_STDLIB = f"""
import base64, json, mimetypes, pathlib
ROOT = pathlib.Path({str(STATIC)!r})
def handler(event, context):
    path = (ROOT / event["pathParameters"]["proxy"]).resolve()
    body = path.read_bytes()
    return {{"statusCode": 200, "headers": {{"Content-Type": mimetypes.guess_type(path.name)[0]}},
            "body": base64.b64encode(body).decode(), "isBase64Encoded": True}}
handler({{"pathParameters": {{"proxy": "index.html"}}}}, None)
"""
SERVE_FASTAPI = f"""
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.testclient import TestClient
app = FastAPI()
app.mount("/console", StaticFiles(directory={str(STATIC)!r}), name="console")
TestClient(app).get("/console/index.html")
"""
CASES = {
    "python (empty)": "pass",
    "import boto3 (the handlers' baseline)": "import boto3",
    "a stdlib handler serving one file": SERVE_STDLIB,
    "FastAPI + StaticFiles serving one file (its TestClient standing in for Mangum)": SERVE_FASTAPI,
}


def timed(code: str) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=ENV, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    rows = {name: timed(code) for name, code in CASES.items()}
    empty, boto3_ms = rows["python (empty)"], rows["import boto3 (the handlers' baseline)"]
    sizes = [(name, (STATIC / name).read_bytes()) for name in INBOX_FILES]
    raw = sum(len(body) for _, body in sizes)
    zipped = sum(len(gzip.compress(body, 6)) for _, body in sizes)
    everything = [p for p in STATIC.rglob("*") if p.is_file()]
    lines = [
        "# The console: cold start of the path not taken, and page weight",
        "",
        f"Median of {RUNS} fresh `python -c` runs, {time.strftime('%Y-%m-%d')}, "
        f"Python {sys.version.split()[0]}.",
        "",
        "## Serving the files from a function (not done: S3 objects behind the API, no function)",
        "",
        "| what | ms | minus interpreter | / boto3 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, ms in rows.items():
        lines.append(f"| {name} | {ms:.0f} | {ms - empty:.0f} | {ms / boto3_ms:.2f} |")
    lines += [
        "",
        "## Inbox view: the static files it loads",
        "",
        "| file | bytes | gzip -6 |",
        "| --- | ---: | ---: |",
    ]
    for name, body in sizes:
        lines.append(f"| {name} | {len(body)} | {len(gzip.compress(body, 6))} |")
    lines += [
        f"| **{len(sizes)} files** | **{raw}** ({raw / 1024:.1f} KB) "
        f"| **{zipped}** ({zipped / 1024:.1f} KB) |",
        "",
        f"The whole console is {len(everything)} files, "
        f"{sum(p.stat().st_size for p in everything) / 1024:.1f} KB;",
        "the other views' modules load when first shown. tests/console measures what the browser",
        "transfers for the inbox view with its cache off (files, headers and the API's JSON).",
    ]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

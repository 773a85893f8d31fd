"""Cold import time of each Lambda handler module, next to `import boto3` and the Powertools REST
resolver we chose not to use. Medians of fresh interpreter runs; writes bench/reports/cold_start.md.

Run: make bench   (numbers from one run on a noisy 2-core machine: compare ratios, not absolutes)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from functions import manifest

RUNS = 7
REPORT = Path(__file__).parent / "reports" / "cold_start.md"
BASELINES = {
    "python (empty)": "pass",
    "import boto3": "import boto3",
    "import pydantic": "import pydantic",
    "Powertools APIGatewayRestResolver + pydantic": (
        "import pydantic\nfrom aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver(enable_validation=True)"
    ),
    "FastAPI + Mangum-equivalent (fastapi only)": "import fastapi",
}


def timed(code: str) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    empty = timed("pass")
    rows = [(name, timed(code)) for name, code in BASELINES.items()]
    for spec in manifest.FUNCTIONS:
        rows.append((f"handler {spec.name} ({spec.module})", timed(f"import {spec.module}")))
    boto3_ms = dict(rows)["import boto3"]
    lines = [
        "# Cold import time of handlers",
        "",
        f"Median of {RUNS} fresh `python -c` runs each, {time.strftime('%Y-%m-%d')}, "
        f"Python {sys.version.split()[0]}.",
        "Milliseconds include interpreter start-up (the `python (empty)` row); ratios are to `import boto3`.",
        "",
        "| what | ms | minus interpreter | / boto3 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, ms in rows:
        lines.append(f"| {name} | {ms:.0f} | {ms - empty:.0f} | {ms / boto3_ms:.2f} |")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

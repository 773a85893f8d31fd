"""What a Step Functions StartExecution costs the local stack as a state machine's executions pile up:
with moto_stepfunctions' execution index and with moto's own lookups (`moto_s_own`), interleaved at
each size. Every run starts an execution, and moto keeps them all for the life of the process.

Run: .venv/bin/python bench/sfn_starts.py [--sizes 0,2000,5000] [--starts N]
     -> bench/reports/sfn_starts.md (CPU of the process per start, the started executions' own
     threads included; one run on a noisy 2-core machine: compare the two columns)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "bench" / "reports"
sys.path.insert(0, str(ROOT))

PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,2000,5000", help="executions held before each measurement")
    parser.add_argument("--starts", type=int, default=100, help="starts measured per size and side")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    import boto3

    from agent_runtime_local.cloud import ACCOUNT, REGION, LocalCloud
    from agent_runtime_local.moto_replacements import moto_s_own

    rows = []
    with LocalCloud():
        sfn: Any = boto3.client("stepfunctions", region_name=REGION)
        arn = sfn.create_state_machine(
            name=f"starts-{uuid.uuid4().hex[:8]}",
            definition=json.dumps(PASS),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/agent-runtime-local",
        )["stateMachineArn"]
        held = 0

        def start(count: int) -> float:
            nonlocal held
            cpu = time.process_time()
            for _ in range(count):
                sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input="{}")
            held += count
            return (time.process_time() - cpu) * 1000 / count

        start(20)  # warm up: clients, the definition's parse
        for size in sizes:
            if size > held:
                start(size - held)
            at = held
            indexed = start(args.starts)
            with moto_s_own("execution index"):
                own = start(args.starts)
            rows.append((at, indexed, own))
    lines = [
        "# StartExecution as executions pile up (bench/sfn_starts.py)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC: one state machine (a Pass state), {args.starts} starts per",
        "column at each size; CPU of the process per start (the executions' own threads included).",
        "",
        "| executions held | with the index, ms/start | moto's own lookups, ms/start | ratio |",
        "| ---: | ---: | ---: | ---: |",
        *(f"| {at:,} | {indexed:.2f} | {own:.2f} | {indexed / own:.2f} |" for at, indexed, own in rows),
        "",
    ]
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "sfn_starts.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

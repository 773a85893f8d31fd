"""What moto_dynamodb's changes save, measured interleaved in one process: the DynamoDB calls of one
echo run (captured as the runtime makes them) replayed against the local stack's moto, with each group
of changes on and with moto's own code back (moto_dynamodb.moto_s_own), alternating; and echo runs
through the local gateway, alternating the same way in blocks. CPU is the calling thread's for each
replayed call (`time.thread_time`), the process's for the echo runs (idle pollers included).

Run: .venv/bin/python bench/dynamo_ops.py NAME [--group G ...] [--rounds R]
     -> bench/reports/dynamo_ops-NAME.md. With no --group, every group at once against moto's own.
(2 shared cores: the figures of one report compare with each other, not with another report's)
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "bench" / "reports"
sys.path.insert(0, str(ROOT))

from bench.echo_ops import echo  # noqa: E402 (after the path)
from bench.local_stack import serve  # noqa: E402

METHODS = {"TransactWriteItems": "transact_write_items", "GetItem": "get_item"}


def capture(http: httpx.Client) -> list[tuple[str, dict[str, Any]]]:
    """The DynamoDB calls (operation, parameters) of one echo run, in order."""
    import botocore.client

    calls: list[tuple[str, dict[str, Any]]] = []
    original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 (private for mypy)

    def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        if self.meta.service_model.endpoint_prefix == "dynamodb" and operation_name in METHODS:
            calls.append((operation_name, json.loads(json.dumps(api_params))))
        return original(self, operation_name, api_params)

    setattr(botocore.client.BaseClient, "_make_api_call", _make_api_call)  # noqa: B010
    try:
        echo(http)
        time.sleep(0.3)
    finally:
        setattr(botocore.client.BaseClient, "_make_api_call", original)  # noqa: B010
    return calls


def fresh(calls: list[tuple[str, dict[str, Any]]], run_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The same calls for a run that doesn't exist yet (its conditions pass as they did)."""
    text = json.dumps(calls).replace(run_id, str(uuid.uuid4()))
    return [(op, params) for op, params in json.loads(text)]


def run_id_of(calls: list[tuple[str, dict[str, Any]]]) -> str:
    key = next(params["Key"]["PK"]["S"] for op, params in calls if op == "GetItem")
    return str(key.split("#", 1)[1])


# Where in moto the replayed calls' CPU goes (the replaying thread's only): label -> (owner, attribute).
PHASES = {
    "UpdateExpression validation": ("moto.dynamodb.parsing.validators", "Validator", "validate"),
    "UpdateExpression execution": ("moto.dynamodb.parsing.executors", "UpdateExpressionExecutor", "execute"),
    "ConditionExpression parse": ("moto.dynamodb.comparisons", "ConditionExpressionParser", "parse"),
    "stream record": ("moto.dynamodb.models.table", "StreamShard", "add"),
    "GetItem's answer built": ("moto.dynamodb.responses", "DynamoResult", "__init__"),
    "request parsed": ("moto.core.responses", "BaseResponse", "parse_parameters"),
    "item copied": ("moto.dynamodb.models.dynamo_type", "Item", "__deepcopy__"),
    "actions put in order": ("moto.dynamodb.parsing.ast_nodes", "Node", "normalize"),
}


def time_phases(spent: dict[str, float]) -> None:
    """Add each phase's CPU in this thread to spent[label]."""
    import importlib
    import threading

    from agent_runtime_local import moto_dynamodb

    me = threading.get_ident()

    def timed(function: Any, label: str) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != me:
                return function(*args, **kwargs)
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.thread_time() - started

        return timed

    for label, (module, owner_name, name) in PHASES.items():
        owner = getattr(importlib.import_module(module), owner_name)
        setattr(owner, name, timed(getattr(owner, name), label))
        # A phase moto_dynamodb replaces is timed on both sides of moto_s_own's swap.
        for replacements in moto_dynamodb.PATCHES.values():
            for i, r in enumerate(replacements):
                if r.owner is owner and r.name == name:
                    replacements[i] = moto_dynamodb.Replacement(
                        owner, name, timed(r.original, label), getattr(owner, name)
                    )


@contextlib.contextmanager
def variant(name: str, groups: list[str]) -> Iterator[None]:
    from agent_runtime_local import moto_dynamodb

    if name == "moto's own":
        with moto_dynamodb.moto_s_own(*groups):
            yield
    else:
        yield


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", help="report name: bench/reports/dynamo_ops-NAME.md")
    parser.add_argument("--group", action="append", default=[], help="moto_dynamodb group (default: all)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--replays", type=int, default=10, help="echo runs' calls replayed per round")
    parser.add_argument("--echo-runs", type=int, default=10, help="echo runs per round")
    args = parser.parse_args()
    from agent_runtime import aws
    from agent_runtime_local import moto_dynamodb
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app

    variants = ("moto_dynamodb", "moto's own")
    op_cpu: dict[str, collections.defaultdict[str, list[float]]] = {
        v: collections.defaultdict(list) for v in variants
    }
    replay_cpu: dict[str, list[float]] = {v: [] for v in variants}
    echo_cpu: dict[str, list[float]] = {v: [] for v in variants}
    registered: dict[str, list[float]] = {v: [] for v in variants}
    from moto.dynamodb.models.dynamo_type import Item as registry

    with LocalCloud(), httpx.Client(base_url=serve(create_app()), timeout=60) as http:
        groups = args.group or list(moto_dynamodb.PATCHES)
        for _ in range(3):  # warm up: imports, clients, caches
            echo(http)
        calls = capture(http)
        run_id = run_id_of(calls)
        client = aws.dynamodb()
        phases: collections.Counter[str] = collections.Counter()
        phase_cpu: dict[str, collections.defaultdict[str, list[float]]] = {
            v: collections.defaultdict(list) for v in variants
        }
        time_phases(phases)
        for round_ in range(args.rounds):
            order = variants if round_ % 2 == 0 else variants[::-1]
            for _ in range(args.replays):
                for name in order:
                    with variant(name, groups):
                        total = 0.0
                        phases.clear()
                        for op, params in fresh(calls, run_id):
                            started = time.thread_time()
                            getattr(client, METHODS[op])(**params)
                            spent = time.thread_time() - started
                            op_cpu[name][op].append(spent)
                            total += spent
                        replay_cpu[name].append(total)
                        for label in PHASES:
                            phase_cpu[name][label].append(phases[label])
            for name in order:
                with variant(name, groups):
                    started, items = time.process_time(), len(registry.instances_tracked)
                    for _ in range(args.echo_runs):
                        echo(http)
                    echo_cpu[name].append((time.process_time() - started) / args.echo_runs)
                    registered[name].append((len(registry.instances_tracked) - items) / args.echo_runs)
    counts = collections.Counter(op for op, _ in calls)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.2f}"

    def us(values: list[float]) -> str:
        return f"{statistics.median(values) * 1e6:.0f}"

    mine, own = variants
    lines = [
        f"# moto's DynamoDB with and without moto_dynamodb ({args.name})",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC, `bench/dynamo_ops.py {' '.join(sys.argv[1:])}`: groups "
        + ", ".join(f"`{g}`" for g in groups)
        + f"; {args.rounds} rounds, each replaying one echo run's DynamoDB calls {args.replays} times with",
        f"each variant in turn (fresh run ids), then making {args.echo_runs} echo runs through the local",
        "gateway with each; the order flips each round. Medians.",
        "",
        f"| | {mine} | {own} | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for op in sorted(counts):
        a, b = op_cpu[mine][op], op_cpu[own][op]
        lines.append(
            f"| {op} (CPU µs per call, {counts[op]} per echo run) | {us(a)} | {us(b)} |"
            f" {statistics.median(a) / statistics.median(b):.2f} |"
        )
    a, b = replay_cpu[mine], replay_cpu[own]
    lines.append(
        f"| an echo run's DynamoDB calls replayed (CPU ms) | {ms(a)} | {ms(b)} |"
        f" {statistics.median(a) / statistics.median(b):.2f} |"
    )
    for label in PHASES:
        a, b = phase_cpu[mine][label], phase_cpu[own][label]
        if statistics.median(b) > 0:
            lines.append(
                f"| … of which {label} (CPU µs per echo run) | {us(a)} | {us(b)} |"
                f" {statistics.median(a) / statistics.median(b):.2f} |"
            )
    a, b = echo_cpu[mine], echo_cpu[own]
    ratio = statistics.median(a) / statistics.median(b)
    lines.append(f"| an echo run (process CPU ms) | {ms(a)} | {ms(b)} | {ratio:.2f} |")
    a, b = registered[mine], registered[own]
    kept = f"{statistics.median(a):.1f} | {statistics.median(b):.1f}"
    lines.append(f"| Items left in moto's registry per echo run | {kept} | |")
    lines.append("")
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"dynamo_ops-{args.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

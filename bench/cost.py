"""What a run costs on AWS: every AWS operation each built-in workflow's run makes, and a 1,000-event
run's, counted on the local stack (moto executing the real state machine, the handlers in-process),
priced per million runs with engine/prices.py and compared with the targets of issue 14. Writes
bench/reports/cost.md and cost.json. Counts are exact (moto does what AWS does, call for call);
durations are this machine's, so GB-seconds are an upper bound of the cloud's.

Counted per run: the requests that create and answer it (API Gateway, and the door's function), every
Lambda invocation the run causes and the AWS calls of each, and the state transitions of its execution
(moto's history: one per state entered). Not counted: the authorizer (cached per key for 5 minutes,
decision 60: one invocation per client every 5 minutes, not per run), the client's reads (GET, SSE:
priced apart, see docs/cost.md) and storage over time.

Run: .venv/bin/python bench/cost.py
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPORT = Path(__file__).parent / "reports" / "cost.md"
REPORT_JSON = REPORT.with_suffix(".json")
# Functions a client's reads run in: not part of what a run costs (docs/cost.md prices them apart).
CLIENT_READS = frozenset(
    {"get_run", "wait_run", "run_events", "list_runs", "list_checkpoints", "get_checkpoint"}
)
# issue 14: targets and what was measured before, USD per million runs (events: per million emitted).
TARGETS = {"echo": 25.0, "approval": 120.0, "events (per million emitted)": 0.50}
BEFORE = {"echo": 105.0, "approval": 227.0, "events (per million emitted)": None}
STREAM_MB_DEFAULT = 512
WORKERS = frozenset({"step_worker", "checkpoint_worker"})  # the state machine's tasks
READS = frozenset({"GetItem", "Query", "TransactGetItems"})


class Tally:
    """Every AWS call and Lambda invocation while counting, by function."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[tuple[str, str, str]] = Counter()  # (function, service, operation)
        self.write_units = 0  # DynamoDB write units of the calls counted (from the item sizes)
        self.invocations: Counter[str] = Counter()
        self.mb_ms: Counter[str] = Counter()
        self.ms: Counter[str] = Counter()
        self.s3_bytes = 0
        self.active = False

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.invocations.clear()
            self.mb_ms.clear()
            self.ms.clear()
            self.write_units = self.s3_bytes = 0

    def observe(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build", self._call)

    def _call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        from agent_runtime_local import permissions

        if not self.active:
            return
        spec = permissions._running.get()  # the function making the call (None: the bench itself)
        function = spec.name if spec is not None else "-"
        with self.lock:
            self.calls[(function, model.service_model.service_name, model.name)] += 1
            if function not in CLIENT_READS:
                self.write_units += _write_units(model.name, params)
                if model.name == "PutObject":
                    body = params.get("Body") or b""
                    self.s3_bytes += len(body) if isinstance(body, bytes | str) else 0

    def wrap(self, spec: Any, handler: Callable[..., Any]) -> Callable[..., Any]:
        def invoke(event: Any, context: Any) -> Any:
            # Counted as it starts: the run a caller waits for is ended inside the handler, so the
            # counting may stop before the handler returns; its time still counts when it does.
            counted = self.active
            if counted:
                with self.lock:
                    self.invocations[spec.name] += 1
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                if counted:
                    with self.lock:
                        elapsed_ms = math.ceil((time.perf_counter() - started) * 1000)
                        self.ms[spec.name] += elapsed_ms
                        self.mb_ms[spec.name] += elapsed_ms * spec.memory_mb

        return invoke


def _write_units(operation: str, params: dict[str, Any]) -> int:
    """Write units of a DynamoDB write, sized from its request (updates: key and values only)."""
    from agent_runtime.store import usage_meter
    from agent_runtime.store.dynamo import from_item

    def size(request: dict[str, Any]) -> int:
        if "Item" in request:
            return usage_meter.item_size(from_item(request["Item"]))
        return usage_meter.item_size(from_item(request["Key"])) + usage_meter.item_size(
            from_item(request.get("ExpressionAttributeValues") or {})
        )

    if operation == "TransactWriteItems":
        return sum(usage_meter.write_units(size(next(iter(e.values())))) for e in params["TransactItems"])
    if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
        return usage_meter.write_units(size(params), transactional=False)
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params["RequestItems"].values())
    return 0


@contextmanager
def counting(tally: Tally) -> Iterator[None]:
    tally.reset()
    tally.active = True
    try:
        yield
    finally:
        tally.active = False


def transitions(run_id: str) -> int:
    """States entered by the run's execution (moto's execution history)."""
    from agent_runtime import aws
    from agent_runtime.config import settings

    sfn = aws.stepfunctions()
    for machine in (settings().state_machine_arn, settings().express_state_machine_arn):
        arn = f"{machine.replace(':stateMachine:', ':execution:')}:{run_id}"
        try:
            # The run reads as ended once its last commit is in; the execution still has its last
            # states to enter (Route, Done): count them once it has ended too.
            deadline = time.monotonic() + 30
            while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"execution of run {run_id} still running")
                time.sleep(0.05)
            history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        except sfn.exceptions.ExecutionDoesNotExist:
            continue
        return sum(1 for e in history if e["type"].endswith("StateEntered"))
    raise LookupError(f"no execution of run {run_id}")


def price(counts: dict[str, Any]) -> dict[str, float]:
    """USD per run, by service."""
    from agent_runtime.engine import prices, usage

    calls: dict[tuple[str, str], int] = counts["calls"]

    def total(service: str, operations: set[str] | None = None) -> int:
        return sum(
            n for (s, op), n in calls.items() if s == service and (operations is None or op in operations)
        )

    reads = counts["read_units"]
    requests = counts["api_requests"]
    gb_s = counts["lambda_mb_ms"] / 1024 / 1000
    return {
        "api_gateway": requests * prices.API_GATEWAY_REST_REQUEST,
        "lambda_requests": counts["lambda_invocations"] * prices.LAMBDA_REQUEST,
        "lambda_duration": gb_s * prices.LAMBDA_GB_SECOND,
        "step_functions": usage.orchestration_cost(
            {**counts["usage"], "transitions": counts["transitions"], "lambda_ms": counts["worker_ms"]}
        ),
        "dynamodb": counts["write_units"] * prices.DYNAMODB_WRITE_UNIT + reads * prices.DYNAMODB_READ_UNIT,
        "s3": total("s3", {"PutObject", "CopyObject"}) * prices.S3_PUT
        + total("s3", {"GetObject", "HeadObject"}) * prices.S3_GET,
        "sqs": total("sqs") * prices.SQS_REQUEST,
    }


def measure(
    http: Any, tally: Tally, workflow: str, body: dict[str, Any], answer: dict[str, Any] | None
) -> dict[str, Any]:
    with counting(tally):
        run_id = http.post("/v1/runs", json={"workflow": {"name": workflow}, **body}).json()["run_id"]
        requests = 1
        run = wait(http, run_id)
        if answer is not None:
            assert run["status"] == "waiting_for_input", run
            checkpoint = http.get(f"/v1/runs/{run_id}/checkpoints").json()["data"][0]["checkpoint_id"]
            path, answer_body = next(iter(answer.items()))
            reply = http.post(f"/v1/runs/{run_id}/checkpoints/{checkpoint}/{path}", json=answer_body)
            assert reply.status_code == 200, reply.text
            requests += 1
            run = wait(http, run_id)
        time.sleep(0.5)  # let the background work of the last commit (stream consumers) finish
    assert run["status"] == "succeeded", run
    run_calls = {k: n for k, n in tally.calls.items() if k[0] not in CLIENT_READS}
    functions = {f: n for f, n in tally.invocations.items() if f not in CLIENT_READS}
    by_operation: Counter[tuple[str, str]] = Counter()
    for (_, service, operation), n in run_calls.items():
        by_operation[(service, operation)] += n
    counts = {
        "run_id": run_id,
        "api_requests": requests,
        "transitions": transitions(run_id),
        "lambda_invocations": sum(functions.values()),
        "invocations": functions,
        "lambda_mb_ms": sum(n for f, n in tally.mb_ms.items() if f not in CLIENT_READS),
        "worker_ms": sum(n for f, n in tally.ms.items() if f in WORKERS),
        "write_units": tally.write_units,
        # One unit per read call: the items read are under 4 KB but for large event pages.
        "read_units": sum(n for (s, op), n in by_operation.items() if s == "dynamodb" and op in READS),
        "calls": dict(by_operation),
        "calls_by_function": {f"{f} {s}:{o}": n for (f, s, o), n in sorted(run_calls.items())},
        "usage": run["usage"],
        "estimated_cost_usd": run["estimated_cost_usd"],
        "events": run["usage"]["events"],
    }
    return counts


def wait(http: Any, run_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}/wait", params={"timeout": 5}).json()
        if run["status"] in {"succeeded", "failed", "cancelled", "timed_out", "waiting_for_input"}:
            return run
    raise TimeoutError(run_id)


RUNS: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = [
    ("echo", "echo", {"input": {"hello": "world"}}, None),
    ("echo_agent", "echo_agent", {"input": {"messages": [{"type": "human", "content": "hi"}]}}, None),
    (
        "approval",
        "approval",
        {"input": {"title": "Q4", "points": ["ship"], "reviewer": "ana"}},
        {"approve": {"comment": "ok"}},
    ),
    (
        "intake",
        "intake",
        {"input": {"purpose": "signup"}},
        {"input": {"data": {"name": "Ana", "email": "ana@example.com", "amount": 10}}},
    ),
    ("1,000 events", "token-stream", {"input": {"events": 1000}}, None),
]


def stream_minute() -> dict[str, float]:
    """Streaming a quiet run for a minute: SSE windows of SSE_WINDOW_SECONDS (one request and function
    invocation each; the authorizer's answer is cached) polling from SSE_POLL_SECONDS, the pause doubling
    after each empty poll up to IDLE_POLL_CAP_SECONDS (a run read and an event query each). A run
    streaming tokens costs more: docs/cost.md "A minute of live tokens"."""
    from agent_runtime.config import settings
    from agent_runtime.engine import prices
    from agent_runtime.engine.streams import IDLE_POLL_CAP_SECONDS
    from functions import manifest

    window, poll = settings().sse_window_seconds, settings().sse_poll_seconds
    memory = manifest.by_name("run_events").memory_mb or STREAM_MB_DEFAULT
    windows = math.ceil(60 / window)
    per_window, waited, pause = 1, 0.0, poll
    while waited + pause < window:
        waited, per_window = waited + pause, per_window + 1
        pause = min(pause * 2, max(poll, IDLE_POLL_CAP_SECONDS))
    polls = windows * per_window
    usd = {
        "api_gateway": windows * prices.API_GATEWAY_REST_REQUEST,
        "lambda": windows * prices.LAMBDA_REQUEST + 60 * memory / 1024 * prices.LAMBDA_GB_SECOND,
        "dynamodb": 2 * polls * prices.DYNAMODB_READ_UNIT,
    }
    return {"windows": windows, "polls": polls, "memory_mb": memory, **usd, "total": sum(usd.values())}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent.parent))
    os.environ["AGENT_RUNTIME_WORKFLOW_MODULES"] = "bench.workflows"
    import httpx

    from agent_runtime import aws
    from agent_runtime.engine import prices
    from agent_runtime_local import permissions
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app
    from bench.local_stack import serve

    tally = Tally()
    aws.client_observers.append(tally.observe)
    as_function = permissions.as_function
    permissions.as_function = lambda spec, handler: as_function(spec, tally.wrap(spec, handler))
    results: dict[str, Any] = {}
    with (
        LocalCloud(environment={"AGENT_RUNTIME_WORKFLOW_MODULES": "bench.workflows"}),
        httpx.Client(base_url=serve(create_app()), timeout=60) as http,
    ):
        for label, workflow, body, answer in RUNS:
            counts = measure(http, tally, workflow, body, answer)
            usd = price(counts)
            results[label] = {
                **counts,
                "usd": usd,
                "usd_per_million": sum(usd.values()) * 1e6,
                # Exact: everything but the Lambda duration, which is this machine's.
                "usd_per_million_counted": (sum(usd.values()) - usd["lambda_duration"]) * 1e6,
            }
            print(f"{label}: ${results[label]['usd_per_million']:.2f} per million runs", flush=True)
    # Per event: the 1,000-event run less a one-step run on the same (standard) machine, both without
    # Lambda's duration (this machine's, which varies).
    baseline = results["echo_agent"]["usd_per_million_counted"]
    per_million_events = (results["1,000 events"]["usd_per_million_counted"] - baseline) / 1000
    report = {
        "prices": prices.as_table(),
        "runs": {
            k: {**v, "calls": {f"{s}:{o}": n for (s, o), n in v["calls"].items()}} for k, v in results.items()
        },
        "events_per_million_emitted_usd": per_million_events,
        "stream_one_minute": stream_minute(),
    }
    REPORT.parent.mkdir(exist_ok=True)
    REPORT_JSON.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    REPORT.write_text(markdown(report))
    print(REPORT.read_text())


def markdown(report: dict[str, Any]) -> str:
    runs = report["runs"]
    lines = [
        "# Cost per run (bench/cost.py)",
        "",
        f"List prices {report['prices']['region']} as of {report['prices']['as_of']} (engine/prices.py); "
        "Step Functions Standard or Express as each run ran. Counts exact (moto); "
        "GB-s from this machine's durations (an upper bound).",
        "",
        "| run | transitions | Lambda invocations | GB-s | WRU | DynamoDB calls | S3 calls "
        "| USD per million runs | without Lambda duration | target | before |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in runs.items():
        ddb = sum(n for k, n in r["calls"].items() if k.startswith("dynamodb:"))
        s3 = sum(n for k, n in r["calls"].items() if k.startswith("s3:"))
        target = TARGETS.get(label)
        before = BEFORE.get(label)
        lines.append(
            f"| {label} | {r['transitions']} | {r['lambda_invocations']} | "
            f"{r['lambda_mb_ms'] / 1024 / 1000:.3f} | "
            f"{r['write_units']} | {ddb} | {s3} | {r['usd_per_million']:.2f} | "
            f"{r['usd_per_million_counted']:.2f} | "
            f"{'-' if target is None else f'{target:.2f}'} | {'-' if before is None else f'{before:.0f}'} |"
        )
    events = report["events_per_million_emitted_usd"]
    stream = report["stream_one_minute"]
    lines += [
        "",
        f"Events: **${events:.2f} per million emitted** (the 1,000-event run less an echo_agent run, "
        "per event, without Lambda duration; "
        f"target ${TARGETS['events (per million emitted)']:.2f}).",
        "",
        f"Streaming one run for a minute: {stream['windows']} SSE windows, {stream['polls']:.0f} polls, "
        f"${stream['total']:.6f} (${stream['total'] * 1e6:.0f} per million run-minutes).",
        "",
        "## By service, USD per million runs",
        "",
        "| run | " + " | ".join(next(iter(runs.values()))["usd"]) + " |",
        "|---|" + "---|" * len(next(iter(runs.values()))["usd"]),
    ]
    for label, r in runs.items():
        lines.append(f"| {label} | " + " | ".join(f"{v * 1e6:.2f}" for v in r["usd"].values()) + " |")
    lines += ["", "## Calls per run, by function", ""]
    for label, r in runs.items():
        lines.append(f"- **{label}**: " + ", ".join(f"{k} x{n}" for k, n in r["calls_by_function"].items()))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

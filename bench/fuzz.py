"""Fuzz campaign: schemathesis over both OpenAPI documents the runtime serves (openapi/agent-runtime.yaml,
v1; openapi/acp-openapi-0.2.3.json, ACP 0.2.3) against the local stack, its gateway throttling each
tenant as `agent-runtime dev` does but tighter (5 requests/s, bursts of 10, where dev allows 20 and 40,
so one client meets 429s all along), bounded and deterministic. Every response is checked for: no 5xx,
a documented status, its documented headers (Retry-After on 429/503), a documented content type and a
body matching its schema. Writes bench/reports/fuzz.md: requests, statuses, failures by check.

Run: .venv/bin/python bench/fuzz.py [--examples N] (N generated requests per operation; default 20)
[--rate R --burst B] (each tenant's throttle) [--v1 PATH] [--acp PATH] (other documents, e.g. an older
revision) [--report PATH]
"""

from __future__ import annotations

import argparse
import collections
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bench.local_stack import serve

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "reports" / "fuzz.md"
DOCUMENTS = {
    "v1": (ROOT / "openapi" / "agent-runtime.yaml", "Authorization", "Bearer {key}"),
    "ACP 0.2.3": (ROOT / "openapi" / "acp-openapi-0.2.3.json", "x-api-key", "{key}"),
}
CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    response_headers_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SAMPLES = 3  # failure messages kept per (check, operation)


@dataclass
class Tally:
    operations: int = 0
    requests: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    samples: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def fail(self, check: str, operation: str, failure: BaseException) -> None:
        self.failures[check] += 1
        kept = self.samples.setdefault((check, operation), [])
        causes = failure.exceptions if isinstance(failure, BaseExceptionGroup) else [failure]
        text = "; ".join(" ".join(str(cause).split()) for cause in causes)[:300]
        if len(kept) < SAMPLES and text not in kept:
            kept.append(text)


def campaign(path: Path, base_url: str, headers: dict[str, str], examples: int, agent_id: str) -> Tally:
    schema = schemathesis.openapi.from_path(str(path))
    tally = Tally()

    @schema.hook
    def map_body(ctx: Any, body: Any) -> Any:
        # ACP run requests name a real agent: random ids only ever reach the 404.
        if isinstance(body, dict) and "agent_id" in body:
            return {**body, "agent_id": agent_id}
        return body

    for result in schema.get_all_operations():
        operation = result.ok()
        # Valid requests and invalid ones (a wrong type, a missing field) alike, the body hook applied.
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE, hooks=schema.hooks),
            operation.as_strategy(GenerationMode.NEGATIVE, hooks=schema.hooks),
        )
        exercise_operation(operation, cases, tally, base_url, headers, examples)
    return tally


def exercise_operation(
    operation: Any,
    cases: st.SearchStrategy[schemathesis.Case],
    tally: Tally,
    base_url: str,
    headers: dict[str, str],
    examples: int,
) -> None:
    """Up to `examples` generated requests of one operation, each answer run through every check."""
    tally.operations += 1

    @given(case=cases)
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=90)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check])
            # schemathesis raises its failures as a FailureGroup (a BaseExceptionGroup).
            except (Exception, BaseExceptionGroup) as failure:
                tally.fail(check.__name__, operation.label, failure)

    exercise()


def report(
    tallies: dict[str, Tally],
    args: argparse.Namespace,
    seconds: float,
    documents: dict[str, tuple[Path, str, str]],
) -> str:
    examples = args.examples
    names = ", ".join(f"{name} `{_shown(path)}`" for name, (path, _, _) in documents.items())
    lines = [
        "# Fuzz campaign: both OpenAPI documents against the local stack",
        "",
        f"`bench/fuzz.py --examples {examples} --rate {args.rate:g} --burst {args.burst}`: schemathesis "
        f"generates up to {examples} requests per operation (derandomized, valid and invalid alike), "
        f"sent one after another as one tenant the gateway throttles to {args.rate:g} requests/s "
        f"(bursts of {args.burst}; `agent-runtime dev` allows 20 and 40), so the campaign meets 429s. "
        "Each response is checked: not a 5xx, a documented status, its documented headers (Retry-After "
        "on 429 and 503), a documented content type, a body matching its schema. "
        f"Documents: {names}. Took {seconds:.0f} s.",
        "",
        "| document | operations | requests | statuses | " + " | ".join(c.__name__ for c in CHECKS) + " |",
        "| --- | ---: | ---: | --- | " + " | ".join("---:" for _ in CHECKS) + " |",
    ]
    for name, tally in tallies.items():
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))
        failures = " | ".join(str(tally.failures[c.__name__]) for c in CHECKS)
        lines.append(f"| {name} | {tally.operations} | {tally.requests} | {statuses} | {failures} |")
    total = sum(sum(t.failures.values()) for t in tallies.values())
    fives = sum(n for t in tallies.values() for s, n in t.statuses.items() if s >= 500)
    lines += ["", f"Failures: {total}. Responses with a 5xx status: {fives}.", ""]
    for name, tally in tallies.items():
        for (check, operation), kept in sorted(tally.samples.items()):
            lines.append(f"- {name} `{operation}` {check}: " + " / ".join(kept))
    return "\n".join(lines).rstrip() + "\n"


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--rate", type=float, default=5.0, help="each tenant's requests per second")
    parser.add_argument("--burst", type=int, default=10, help="each tenant's burst")
    parser.add_argument("--v1", type=Path, help="another v1 document (default: openapi/agent-runtime.yaml)")
    parser.add_argument("--acp", type=Path, help="another ACP document (default: the served one)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()
    documents = dict(DOCUMENTS)
    for name, override in (("v1", args.v1), ("ACP 0.2.3", args.acp)):
        if override is not None:
            documents[name] = (override, *DOCUMENTS[name][1:])

    from agent_runtime.acp.agents import agent_id
    from agent_runtime.engine import Engine
    from agent_runtime.workflows.builtin.echo_agent import echo_agent
    from agent_runtime_local.cloud import LocalCloud
    from agent_runtime_local.gateway import create_app
    from functions import manifest

    started = time.perf_counter()
    tallies: dict[str, Tally] = {}
    with LocalCloud():
        throttle = manifest.Throttle(rate_per_second=args.rate, burst=args.burst)
        base_url = serve(create_app(tenant_throttle=throttle))
        httpx.get(f"{base_url}/.well-known/agent-card.json", timeout=30)  # warm the gateway
        for name, (path, header, value) in documents.items():
            key = Engine.default().api_keys.create(f"fuzz-{uuid.uuid4().hex[:8]}")
            tallies[name] = campaign(path, base_url, {header: value.format(key=key)}, args.examples,
                                     agent_id(echo_agent))  # fmt: skip
            print(name, tallies[name].requests, "requests,", dict(tallies[name].failures), flush=True)
    seconds = time.perf_counter() - started
    args.report.write_text(report(tallies, args, seconds, documents))
    print(args.report.read_text())


if __name__ == "__main__":
    main()

"""Differential: the AWS Durable Execution SDK's own examples and conformance handlers, each run on the
runtime's service side and on the SDK's local test runner; results and operation sequences compared.

    .venv/bin/python bench/differential.py [--source <a clone of aws/aws-durable-execution-sdk-python>]
        -> bench/reports/differential.md

The handlers are taken from a git mirror of the SDK's repository (`git archive` of the examples' src/
and the conformance tests' handlers/ into bench/.work/, which is git-ignored: no third-party code is
committed). Each handler module is imported and run as tests/engine/durable/differential.py describes; the
conformance handlers' `context.invoke` targets come from their SAM templates (template_invoke.yaml).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import logging
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "layers" / "runtime"))

from tests.engine.durable.differential import (  # noqa: E402
    CALLBACK_RESULT,
    Case,
    Compared,
    Policy,
    compare,
    differences,
    run_on_runtime,
    run_on_sdk,
)

DEFAULT_SOURCE = Path("/work/.mirror/aws+aws-durable-execution-sdk-python/repo")
WORK = ROOT / "bench" / ".work" / "differential"
REPORT = ROOT / "bench" / "reports" / "differential.md"
EXAMPLES = "packages/aws-durable-execution-sdk-python-examples/src"
CONFORMANCE = "packages/aws-durable-execution-sdk-python-conformance-tests"
# Real seconds one case may take on the SDK runner (it times callbacks out on real time).
CASE_TIMEOUT = 30.0
SDK = "aws_durable_execution_sdk_python"


@dataclass(frozen=True)
class Plan:
    """How one handler module is run: its input, how callbacks are answered, or why it is skipped."""

    input: Any = None
    callbacks: Policy = "succeed"
    skip: str | None = None
    callback_result: str = CALLBACK_RESULT
    env: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # function name -> module


# How each handler is run, by its path under the archive (examples: "src/...", conformance: "handlers/...").
# The conformance suites' inputs live with the requirement specs in another repository: these stand for
# them (a callback's name, a threshold, a value to pass on). Examples take a JSON object.
SUITE_INPUTS: dict[str, Any] = {
    "src/": {},
    "handlers/callback/": "approval",
    "handlers/wait_for_callback/": "approval",
    "handlers/wait_for_condition/": 3,
    "handlers/child/": "hello",
    "handlers/invoke/": {"hello": "world"},
    "handlers/step/": "hello",
}
CRASH = "kills its own process (os._exit) to stand for a Lambda crash: needs a process per invocation"
OLD_INVOKE = (
    "uses InvokeConfig(timeout=...), which SDK 3.0.0 does not have: it fails with the same TypeError on "
    "both runners before any operation (not in the conformance suite either: its requirement id is "
    "commented out in template_invoke.yaml)"
)
CUSTOM = '{"id": 7, "message": "hi", "timestamp": "2026-12-06T00:00:00Z"}'
TIMES_OUT = Plan(callbacks="ignore")  # nobody answers: the callback's (short) timeout ends it
FAILS = Plan(callbacks="fail")  # the external system reports a failure
PLANS: dict[str, Plan] = {
    "handlers/child/child_interrupted.py": Plan(skip=CRASH),
    "handlers/step/step_at_most_once_no_retry.py": Plan(skip=CRASH),
    "handlers/step/step_at_most_once_with_retry.py": Plan(skip=CRASH),
    "handlers/invoke/target_non_durable.py": Plan(
        skip="a plain Lambda handler (no @durable_execution), an invoke target no conformance case uses: "
        "the runtime hosts durable handlers only"
    ),
    "handlers/invoke/target_slow.py": Plan(
        skip="sleeps 60 s of real time, the target of invoke_timeout*, whose InvokeConfig(timeout=...) "
        "SDK 3.0.0 no longer has"
    ),
    "handlers/invoke/invoke_timeout.py": Plan(skip=OLD_INVOKE),
    "handlers/invoke/invoke_timeout_caught.py": Plan(skip=OLD_INVOKE),
    # Its docstring: the input is the initial state, the threshold 5 (another input polls for ever).
    "handlers/wait_for_condition/wait_for_condition_immediate.py": Plan(input=5),
    "handlers/step/step_complex_object.py": Plan(input={"name": "widget", "tags": ["a", "b"]}),
    "handlers/wait_for_callback/wait_for_callback_json_result.py": Plan(callback_result='{"status": "ok"}'),
    "handlers/callback/callback_two_parallel.py": Plan(input=["first", "second"]),
    "handlers/callback/callback_two_parallel_reverse.py": Plan(input=["first", "second"]),
    "handlers/callback/callback_two_sequential.py": Plan(input=["first", "second"]),
    "handlers/child/child_with_name.py": Plan(input={"name": "named-child", "value": "v"}),
    "handlers/invoke/invoke_with_name.py": Plan(input={"payload": {"hello": "world"}, "name": "named"}),
    "handlers/invoke/invoke_with_tenant_id.py": Plan(input={"tenantId": "t-1", "payload": {"a": 1}}),
    "handlers/callback/callback_serdes_happy.py": Plan(callback_result=CUSTOM),
    "handlers/callback/callback_serdes_numeric.py": Plan(callback_result="21"),
    "src/callback/callback_serdes.py": Plan(callback_result=CUSTOM),
    "src/wait_for_callback/wait_for_callback_serdes.py": Plan(
        callback_result=CUSTOM[:-1] + ', "metadata": {"version": "1", "processed": true}}'
    ),
    "src/logger_example/logger_example.py": Plan(input={"id": "test-123"}),
    "src/logger_example/replay_logging.py": Plan(input={"item": "widget"}),
    "src/comprehensive_operations/comprehensive_operations.py": Plan(input={"message": "test"}),
    "handlers/callback/callback_timeout.py": TIMES_OUT,
    "handlers/callback/callback_step_timeout.py": TIMES_OUT,
    "handlers/callback/callback_replay_timeout.py": TIMES_OUT,
    "handlers/callback/callback_wait_timeout.py": TIMES_OUT,
    "handlers/callback/callback_heartbeat_timeout.py": TIMES_OUT,
    "handlers/wait_for_callback/wait_for_callback_timeout.py": TIMES_OUT,
    "handlers/wait_for_callback/wait_for_callback_timeout_caught.py": TIMES_OUT,
    "handlers/wait_for_callback/wait_for_callback_heartbeat_timeout.py": TIMES_OUT,
    "src/wait_for_callback/wait_for_callback_timeout.py": TIMES_OUT,
    "handlers/callback/callback_failure.py": FAILS,
    "handlers/callback/callback_replay_failure.py": FAILS,
    "handlers/callback/callback_step_failure.py": FAILS,
    "handlers/callback/callback_wait_failure.py": FAILS,
    "handlers/wait_for_callback/wait_for_callback_external_failure.py": FAILS,
    "handlers/wait_for_callback/wait_for_callback_failure_caught.py": FAILS,
}


def plan_for(key: str, invoke: dict[str, Plan]) -> Plan:
    """The suite's input, then the invoke targets from the templates, then PLANS."""
    plan = Plan(input=next((v for k, v in SUITE_INPUTS.items() if key.startswith(k)), None))
    if key in invoke:
        plan = replace(plan, env=invoke[key].env, targets=invoke[key].targets)
    if key in PLANS:
        plan = replace(plan, **_changed(PLANS[key]))
    return plan


def archive(source: Path, work: Path) -> str:
    """Extract the handlers from the mirror's HEAD into `work`; the commit taken."""
    commit = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    tar = subprocess.run(
        ["git", "-C", str(source), "archive", "--format=tar", "HEAD", EXAMPLES, CONFORMANCE],
        check=True,
        capture_output=True,
    ).stdout
    work.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive_file:
        archive_file.extractall(work, filter="data")
    return commit


class _Tagged(yaml.SafeLoader):
    """SAM templates' short-form intrinsics (!Sub, !GetAtt, ...) read as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_Tagged.add_multi_constructor("!", _tag)


def invoke_plans(conformance: Path) -> dict[str, Plan]:
    """The conformance handlers' invoke targets, from their SAM templates: each TARGET_FUNCTION_NAME*
    variable names a resource whose handler becomes a registered function of that name."""
    plans: dict[str, Plan] = {}
    for template in sorted(conformance.glob("template_*.yaml")):
        resources = yaml.load(template.read_text(), Loader=_Tagged).get("Resources", {})
        handlers = {
            name: r["Properties"]["Handler"]
            for name, r in resources.items()
            if isinstance(r, dict) and "Handler" in r.get("Properties", {})
        }
        for resource in resources.values():
            props = resource.get("Properties", {}) if isinstance(resource, dict) else {}
            variables = (props.get("Environment") or {}).get("Variables") or {}
            targets = {k: v for k, v in variables.items() if k.startswith("TARGET_FUNCTION_NAME")}
            if not targets or "Handler" not in props:
                continue
            env: dict[str, str] = {}
            target_modules: dict[str, str] = {}
            for variable, value in targets.items():
                target = str(value).split("${", 1)[-1].split(".", 1)[0]
                module = "handlers." + handlers[target].rsplit(".", 1)[0]
                env[variable] = target
                target_modules[target] = module
            key = "handlers/" + props["Handler"].rsplit(".", 1)[0].replace(".", "/") + ".py"
            plans[key] = Plan(env=env, targets=target_modules)
    return plans


def modules(work: Path) -> Iterator[tuple[str, str]]:
    """(path under the archive, module name) of every handler module."""
    roots = [(work / EXAMPLES, "src"), (work / CONFORMANCE / "handlers", "handlers")]
    for root, package in roots:
        for path in sorted(root.rglob("*.py")):
            if path.name == "__init__.py":
                continue
            relative = path.relative_to(root).with_suffix("")
            yield f"{package}/{relative.as_posix()}.py", f"{package}." + ".".join(relative.parts)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class Row:
    key: str
    compared: Compared | None = None
    skipped: str | None = None
    seconds: float = 0.0
    varies: list[str] = field(default_factory=list)  # how a differing case differs between its own runs


def run_one(key: str, module_name: str, plan: Plan) -> Row:
    if plan.skip:
        return Row(key, skipped=plan.skip)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        why = str(error).split(" -- ", 1)[0].split(". ", 1)[0]
        return Row(key, skipped=f"does not import on SDK {_version(SDK)}: {type(error).__name__}: {why}")
    handler = getattr(module, "handler", None)
    if handler is None:
        return Row(key, skipped="no `handler` in the module (a helper or a plain Lambda target)")
    targets = {name: importlib.import_module(m).handler for name, m in plan.targets.items()}
    case = Case(key, handler, plan.input, plan.callbacks, plan.callback_result, targets, CASE_TIMEOUT)
    started = time.monotonic()
    env = {"FILESYSTEM_MOUNT_PATH": str(WORK / "filesystem"), **plan.env}  # not /mnt/s3
    with environment(env), contextlib.redirect_stdout(io.StringIO()):  # the handlers' prints
        compared = compare(case)
        varies: list[str] = []
        if not compared.agreed:  # does each runner even agree with itself?
            for _ in range(2):
                varies += [f"SDK runner vs itself: {d}" for d in differences(run_on_sdk(case), compared.sdk)]
                varies += [
                    f"runtime vs itself: {d}" for d in differences(run_on_runtime(case), compared.runtime)
                ]
    return Row(key, compared, seconds=time.monotonic() - started, varies=sorted(set(varies)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="a clone of the SDK's repo")
    parser.add_argument("--only", default="", help="run only the modules whose path contains this")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()
    if not args.source.exists():
        parser.error(
            f"{args.source} does not exist: git clone "
            "https://github.com/aws/aws-durable-execution-sdk-python and pass --source <the clone> "
            "(make bench-differential SDK=<the clone>)"
        )
    commit = archive(args.source, WORK)
    sys.path.insert(0, str(WORK / EXAMPLES.rsplit("/", 1)[0]))
    sys.path.insert(0, str(WORK / CONFORMANCE))
    logging.disable(logging.CRITICAL)  # the handlers' and runners' own logs
    invoke = invoke_plans(WORK / CONFORMANCE)
    rows: list[Row] = []
    for key, module_name in modules(WORK):
        if args.only and args.only not in key:
            continue
        row = run_one(key, module_name, plan_for(key, invoke))
        rows.append(row)
        agreed = row.compared is not None and row.compared.agreed
        verdict = "skipped" if row.skipped else "agreed" if agreed else "DIFFERED"
        detail = row.skipped or (_summary(row.compared) if row.compared else "")
        print(f"{verdict:8} {row.seconds:5.1f}s {key}", detail, flush=True)
        if row.compared and not row.compared.agreed:
            for line in [*row.compared.differences, *row.varies]:
                print(f"         {line}", flush=True)
    if not args.only:
        args.report.write_text(report(rows, commit, _source_version(args.source)))
        print(f"-> {args.report.relative_to(ROOT)}")


def _summary(compared: Compared) -> str:
    sdk = compared.sdk
    error = f" {sdk.error_type}: {(sdk.error_message or '')[:100]}" if sdk.error_type else ""
    return f"{sdk.status.lower()}, {len(sdk.operations)} operations{error}"


def _changed(plan: Plan) -> dict[str, Any]:
    default = Plan()
    return {k: getattr(plan, k) for k in plan.__dataclass_fields__ if getattr(plan, k) != getattr(default, k)}


# Why each differing case differs (checked by hand; the runs below each show it).
WALL_CLOCK = (
    "**Not a service difference: the handler returns the wall clock** (`time.time()` in a step or in the "
    "handler), so two runs of the same runner differ too (see the reruns)."
)
RACE = (
    "**Not a service difference: a race in the handler.** Branches run concurrently and the completion "
    "config ends the operation as soon as enough of them succeeded; which branches had finished (and "
    "were checkpointed SUCCEEDED rather than left STARTED) depends on thread scheduling, so each runner "
    "also disagrees with itself from one run to the next (see the reruns). Operations and results agree "
    "whenever the same branches win."
)
FILE_POINTER = (
    "**Not a service difference: the payload names the execution.** FileSystemSerDes writes each result "
    "to a file under a directory named after the execution ARN and checkpoints that path; each runner "
    "names executions its own way (the SDK runner with a fresh random id per run, so its own reruns "
    "differ too). The values read back (the result) agree; only the stored pointers differ."
)
HEARTBEAT = (
    "**A runtime gap: callback heartbeat timeouts are not enforced.** The handler sets only "
    "`heartbeat_timeout` and nobody heartbeats; the SDK runner times the callback out (TIMED_OUT, "
    "`Callback.Heartbeat`) and the run fails with CallbackTimeoutError; the runtime takes a callback's "
    "deadline from `timeout_seconds` alone (engine/durable/stack.py `_open_checkpoint`, and the test kit "
    "the same), so the run waits for ever. No door sends heartbeats yet, so a heartbeat timeout is a "
    "deadline at start + heartbeat_timeout; left to the lead (stack.py), see the report of this change."
)
EXPLANATIONS: dict[str, str] = {
    "src/callback/callback_with_timeout.py": (
        "**Not a service difference: the handler returns its callback's id**, which each service "
        "chooses: the runtime's is the checkpoint id a person answers (`timeout_callback-1`), the SDK "
        "runner's a base64 token holding its random execution ARN (different on each of its own runs)."
    ),
    "src/filesystem_serdes/filesystem_serdes_basic.py": FILE_POINTER,
    "src/filesystem_serdes/filesystem_serdes_overflow.py": FILE_POINTER,
    "src/filesystem_serdes/filesystem_serdes_preview.py": FILE_POINTER,
    "src/map/map_completion.py": RACE,
    "src/map/map_with_min_successful.py": RACE,
    "src/parallel/parallel_first_successful.py": RACE,
    "src/simple_execution/simple_execution.py": WALL_CLOCK,
    "src/wait_for_callback/wait_for_callback_mixed_ops.py": WALL_CLOCK,
    "handlers/callback/callback_heartbeat_timeout.py": HEARTBEAT,
    "handlers/wait_for_callback/wait_for_callback_heartbeat_timeout.py": HEARTBEAT,
}


def report(rows: list[Row], commit: str, sdk_at_source: str) -> str:
    ran = [r for r in rows if r.compared is not None]
    agreed = [r for r in ran if r.compared is not None and r.compared.agreed]
    differed = [r for r in ran if r.compared is not None and not r.compared.agreed]
    skipped = [r for r in rows if r.skipped]
    # A difference is the handler's own when the SDK runner also disagrees with itself on a rerun.
    own = [r for r in differed if any(v.startswith("SDK runner vs itself") for v in r.varies)]
    ours = [r for r in differed if r not in own]
    service = 100 * (len(ran) - len(ours)) / len(ran) if ran else 0.0
    share = 100 * len(agreed) / len(ran) if ran else 0.0
    lines = [
        "# Differential: the SDK's examples and conformance handlers, runtime vs the SDK's local runner",
        "",
        f"Source: aws/aws-durable-execution-sdk-python at `{commit[:12]}` (its examples' `src/` and the",
        "conformance tests' `handlers/`), run with aws-durable-execution-sdk-python "
        f"{_version('aws_durable_execution_sdk_python')} and the runner of",
        f"aws-durable-execution-sdk-python-testing {_version('aws_durable_execution_sdk_python_testing')}.",
        "Made by `bench/differential.py`; what is compared is described in",
        "tests/engine/durable/differential.py:",
        "status, result, error type, and every operation (type, sub_type, name, status, parent, a digest of",
        "its result or error, its attempt) in code order. Callbacks are answered with the same fixed payload",
        "on both, once the invocation that created them ended.",
        "",
        f"**{len(rows)} cases: {len(ran)} run, {len(agreed)} agreed ({share:.1f}%), {len(differed)} differed,"
        f" {len(skipped)} skipped.**",
        "",
        f"Of the {len(differed)} that differed, {len(own)} are the handlers' own: the SDK runner, run "
        "twice more, disagrees with itself the same way (a wall clock, a race between concurrent branches, "
        "an id or ARN each service chooses). That leaves "
        f"{len(ours)} that are the runtime's ({', '.join(f'`{Path(r.key).name}`' for r in ours) or 'none'}): "
        f"**the service sides agree on {len(ran) - len(ours)} of {len(ran)} ({service:.1f}%)**. Which racy "
        "handlers happen to agree on their first run varies from one bench run to the next (by one or two "
        "cases: 94.9% to 95.8% over the runs made while writing this).",
        "",
        "## Differed",
        "",
    ]
    if not differed:
        lines.append("None.")
    for row in differed:
        assert row.compared is not None
        lines.append(f"### `{row.key}`")
        lines.append("")
        lines.append(EXPLANATIONS.get(row.key, "**Not explained yet.**"))
        lines.append("")
        lines.extend(f"- {d}" for d in row.compared.differences[:12])
        if len(row.compared.differences) > 12:
            lines.append(f"- ... and {len(row.compared.differences) - 12} more")
        if row.varies:
            lines += ["", "Each runner run twice more (how a run differed from that runner's first run):", ""]
            lines.extend(f"- {d}" for d in row.varies[:8])
        lines.append("")
    lines += [
        "## Skipped",
        "",
        f"None needs an AWS account (FileSystemSerDes writes under bench/.work/ instead of `/mnt/s3`). At "
        f"this commit the repository's own SDK package is {sdk_at_source}: its plugin handlers pass plugin "
        "instances, where 3.0.0 takes plugin factories, and two invoke handlers use a config field 3.0.0 "
        "dropped. Three stand for a Lambda crash by killing their own process.",
        "",
    ]
    lines += [f"- `{r.key}`: {r.skipped}" for r in skipped] or ["None."]
    lines += ["", "## Agreed", ""]
    for row in agreed:
        assert row.compared is not None
        ops = len(row.compared.sdk.operations)
        lines.append(f"- `{row.key}`: {row.compared.sdk.status.lower()}, {ops} operations")
    lines.append("")
    return "\n".join(lines)


def _source_version(source: Path) -> str:
    about = "packages/aws-durable-execution-sdk-python/src/aws_durable_execution_sdk_python/__about__.py"
    text = subprocess.run(
        ["git", "-C", str(source), "show", f"HEAD:{about}"], check=True, capture_output=True, text=True
    ).stdout
    return text.rsplit("__version__", 1)[-1].strip(' =\n"')


def _version(module: str) -> str:
    return str(importlib.import_module(f"{module}.__about__").__version__)


if __name__ == "__main__":
    main()

"""The CDK app. `make synth` runs it directly (no CDK CLI needed) and writes cdk.out/, taking the CLI's
`-c key=value` / `--context key=value` from its arguments (CDK_ARGS); `make deploy` runs it through the
CDK CLI (infra/cdk.json). Context defaults live in infra/cdk.json."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import REPO_ROOT, StackConfig, default_context
from infra.stack import AgentRuntimeStack


def build_app(
    context: dict[str, Any] | None = None,
    outdir: str | None = None,
    env: cdk.Environment | None = None,
) -> tuple[cdk.App, AgentRuntimeStack]:
    """The app with its one stack. Context: infra/cdk.json, then `context`; the CLI's `-c` wins over both.
    The environment is the CLI's (CDK_DEFAULT_ACCOUNT/REGION) unless given; with neither, the template
    is environment-agnostic."""
    app = cdk.App(
        context={**default_context(), **(context or {})},
        outdir=outdir if os.environ.get("CDK_OUTDIR") is None else None,
    )
    config = StackConfig.from_node(app.node)
    stack = AgentRuntimeStack(
        app,
        config.stack_name,
        config=config,
        env=env
        or cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
        ),
    )
    cdk.Tags.of(app).add("application", "agent-runtime")
    cdk.Tags.of(app).add("stage", config.stage)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


def nag_errors(assembly: cdk.cx_api.CloudAssembly) -> list[str]:
    """The error annotations (unacknowledged cdk-nag findings among them) in a synthesized assembly."""
    errors = []
    for artifact in assembly.stacks:
        for message in artifact.messages:
            if message.level == cdk.cx_api.SynthesisMessageLevel.ERROR:
                errors.append(f"{message.id}: {message.entry.data}")
    return errors


def cli_context(args: list[str]) -> tuple[dict[str, str], list[str]]:
    """The context in CDK CLI arguments (`-c k=v`, `--context k=v`, `--context=k=v`), as strings like the
    CLI passes them, and the arguments that are not context."""
    context: dict[str, str] = {}
    rest: list[str] = []
    items = iter(args)
    for arg in items:
        if arg in ("-c", "--context"):
            pair = next(items, "")
        elif arg.startswith("--context="):
            pair = arg.removeprefix("--context=")
        else:
            rest.append(arg)
            continue
        key, sep, value = pair.partition("=")
        if not key or not sep:
            raise ValueError(f"context {pair!r}: expected key=value")
        context[key] = value
    return context, rest


def main(args: list[str]) -> int:
    outdir = REPO_ROOT / "cdk.out"
    try:
        context, ignored = cli_context(args)
        if ignored:
            # CDK_ARGS is shared with deploy and destroy (--force, --require-approval ...).
            print(f"synth ignores the non-context arguments {ignored}", file=sys.stderr)
        shutil.rmtree(outdir, ignore_errors=True)  # no stale assets from earlier synths
        app, _ = build_app(context, outdir=str(outdir))
    except ValueError as bad:  # a bad context value: say which, without a traceback
        print(f"error: {bad}", file=sys.stderr)
        return 2
    assembly = app.synth()
    errors = nag_errors(assembly)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} error(s): the template is not deployable as is", file=sys.stderr)
        return 1
    print(f"synthesized {', '.join(s.stack_name for s in assembly.stacks)} into {assembly.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

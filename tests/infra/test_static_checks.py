"""cdk-nag (AwsSolutions) and cfn-lint on the synthesized template, and how `make synth` runs the app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, Synth

pytestmark = pytest.mark.infra


def test_no_unsuppressed_cdk_nag_findings(synth: Synth) -> None:
    findings = [
        f"{path}: {text.splitlines()[0]}"
        for level, path, text in synth.messages
        if level in ("error", "warning") and "AwsSolutions-" in text
    ]
    assert not findings, "\n".join(findings)


def test_no_synth_errors_or_warnings(synth: Synth) -> None:
    problems = [
        f"{level} {path}: {text}" for level, path, text in synth.messages if level in ("error", "warning")
    ]
    assert not problems, "\n".join(problems)


def _suppressions(synth: Synth) -> list[tuple[str, dict[str, object]]]:
    found = []
    for logical_id, resource in synth.merged.items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            found.append((logical_id, rule))
    return found


def test_every_suppression_has_a_written_reason(synth: Synth) -> None:
    suppressions = _suppressions(synth)
    assert suppressions
    for logical_id, rule in suppressions:
        reason = str(rule.get("reason", ""))
        assert len(reason.split()) >= 8, f"{logical_id} {rule['id']}: reason too thin: {reason!r}"


@pytest.mark.parametrize("which", ["synth", "custom_synth"])
def test_cfn_lint_finds_no_errors(which: str, request: pytest.FixtureRequest) -> None:
    from cfnlint.api import lint_file

    synth: Synth = request.getfixturevalue(which)
    assert synth.doors
    paths = [synth.template_path, *(path for path, _ in synth.doors.values())]
    errors = [str(m) for path in paths for m in lint_file(path) if m.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)


def test_no_unsuppressed_findings_with_every_setting_changed_and_the_account_known(
    custom_synth: Synth,
) -> None:
    """Operator choices AwsSolutions refuses (tracing off, a state machine log level below ALL) are
    acknowledged when made, so `make synth`/`make deploy` do not fail on them; and under `make deploy`
    ARNs hold the account and region as literals, which every acknowledgement must still match."""
    problems = [
        f"{level} {path}: {text.splitlines()[0]}"
        for level, path, text in custom_synth.messages
        if level in ("error", "warning")
    ]
    assert not problems, "\n".join(problems)


def test_every_suppression_has_a_written_reason_with_every_setting_changed(custom_synth: Synth) -> None:
    for logical_id, rule in _suppressions(custom_synth):
        reason = str(rule.get("reason", ""))
        assert len(reason.split()) >= 8, f"{logical_id} {rule['id']}: reason too thin: {reason!r}"


def _state_machine_suppressions(synth: Synth) -> dict[str, str]:
    machine_id, _ = synth.state_machine()
    return {
        str(rule["id"]): str(rule["reason"])
        for logical_id, rule in _suppressions(synth)
        if logical_id == machine_id
    }


def test_state_machine_logging_and_tracing_findings_are_acknowledged_only_when_the_operator_chose_them(
    synth: Synth, custom_synth: Synth
) -> None:
    assert not {"AwsSolutions-SF1", "AwsSolutions-SF2"} & set(_state_machine_suppressions(synth))
    chosen = _state_machine_suppressions(custom_synth)
    assert "tracing=false" in chosen["AwsSolutions-SF2"]
    assert "stateMachineLogLevel=ERROR" in chosen["AwsSolutions-SF1"]


def test_make_synth_passes_cdk_args_to_the_app() -> None:
    """`make synth CDK_ARGS="-c tracing=false"` must synthesize what `make deploy` with the same CDK_ARGS
    would deploy."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    recipe = makefile.split("\nsynth:", 1)[1].split("\n\n", 1)[0]
    (run_app,) = [line for line in recipe.splitlines() if "infra/app.py" in line]
    assert run_app.rstrip().endswith("infra/app.py $(CDK_ARGS)")


def test_the_app_reads_context_from_cdk_cli_arguments() -> None:
    from infra.app import cli_context

    context, rest = cli_context(
        ["-c", "tracing=false", "--context", "stage=qa", '--context=memoryOverrides={"a": 1}', "--force"]
    )
    assert context == {"tracing": "false", "stage": "qa", "memoryOverrides": '{"a": 1}'}
    assert rest == ["--force"]
    with pytest.raises(ValueError):
        cli_context(["-c", "tracing"])


def test_a_missing_dependencies_layer_names_a_make_target_that_exists(tmp_path: Path) -> None:
    from dataclasses import replace

    from infra.compute import dependencies_layer_dir
    from infra.config import StackConfig

    with pytest.raises(FileNotFoundError) as missing:
        dependencies_layer_dir(replace(StackConfig(), dependencies_layer_dir=str(tmp_path)))
    targets = re.findall(r"`make ([a-z-]+)`", str(missing.value))
    assert targets
    makefile = (REPO_ROOT / "Makefile").read_text()
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"the message names `make {target}`"

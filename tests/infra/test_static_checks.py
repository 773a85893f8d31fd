"""cdk-nag (AwsSolutions) and cfn-lint on the synthesized template."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Synth

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
    for logical_id, resource in synth.template["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            found.append((logical_id, rule))
    return found


def test_every_suppression_has_a_written_reason(synth: Synth) -> None:
    suppressions = _suppressions(synth)
    assert suppressions
    for logical_id, rule in suppressions:
        reason = str(rule.get("reason", ""))
        assert len(reason.split()) >= 8, f"{logical_id} {rule['id']}: reason too thin: {reason!r}"


def test_cfn_lint_finds_no_errors(synth: Synth) -> None:
    from cfnlint.api import lint_file

    matches = lint_file(synth.template_path)
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)


def test_no_unsuppressed_findings_when_account_and_region_are_known(tmp_path: Path) -> None:
    """`make deploy` synthesizes with the CLI's account and region: ARNs then hold literals, not tokens,
    and every suppression must still match (a second synth, the one price of this check)."""
    import aws_cdk as cdk

    from infra.app import build_app, nag_errors

    placeholder = tmp_path / "dependencies"
    (placeholder / "python").mkdir(parents=True)
    app, _ = build_app(
        {"dependenciesLayerDir": str(placeholder), "stage": "prod"},
        outdir=str(tmp_path / "cdk.out"),
        env=cdk.Environment(account="123456789012", region="eu-west-1"),
    )
    errors = nag_errors(app.synth())
    assert not errors, "\n".join(errors)

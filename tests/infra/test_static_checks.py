"""cdk-nag (AwsSolutions) and cfn-lint on the synthesized template."""

from __future__ import annotations

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

"""Contracts that never break: contracts/check.py (`make contracts`) against the last release, and
against fixtures that prove it can fail: every kind of break it must catch, in both contracts, fails
it by name; additive changes (and a field dropped the documented way, its number and name reserved)
pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import check

FIXTURES = Path(__file__).resolve().parent / "evolution"


def compare(kind: str, old: str, new: str) -> check.Result:
    texts = [(FIXTURES / name).read_text() for name in (old, new)]
    return check.check_openapi(*texts, old) if kind == "openapi" else check.check_proto(*texts, old)


def test_both_contracts_are_additive_since_the_last_release() -> None:
    results = check.check_release(None)
    assert [r.contract for r in results] == [check.OPENAPI, check.PROTO]
    assert [r for r in results if r.breaking] == []


def test_an_openapi_break_fails_naming_each_one() -> None:
    result = compare("openapi", "released.yaml", "breaking.yaml")
    assert result.breaking
    for expected in (
        "cannot remove an operation",  # DELETE /things/{thing_id}
        "cannot remove enum option 'sold'",  # a request enum value
        "cannot make a request property required",  # note
        "cannot remove response property 'kind'",  # renamed to type
        "property 'size' not to be expanded",  # integer -> string
    ):
        assert expected in result.report, result.report


def test_an_additive_openapi_change_passes() -> None:
    result = compare("openapi", "released.yaml", "additive.yaml")
    assert not result.breaking, result.report


def test_a_proto_break_fails_naming_each_one() -> None:
    result = compare("proto", "released.proto", "breaking.proto")
    assert result.breaking
    for expected in (
        'enum value "3" on enum "Kind" was deleted',
        'field "5" with name "note" on message "Thing" was deleted',
        'changed name from "name" to "title"',
        'changed type from "int64" to "string"',
        'RPC "DeleteThing" on service "ThingService" was deleted',
    ):
        assert expected in result.report, result.report


def test_an_additive_proto_change_passes() -> None:
    result = compare("proto", "released.proto", "additive.proto")
    assert not result.breaking, result.report


def test_the_release_is_read_from_git_else_from_the_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    base = check.release_base()
    assert base is not None  # this repository has main
    text, source = check.released(check.OPENAPI, base)
    assert text is not None and source == base[:12] and text.startswith("openapi:")
    # No git history (a shallow CI clone): the committed baseline.
    monkeypatch.setattr(check, "git", lambda *args: None)
    assert check.release_base() is None
    text, source = check.released(check.PROTO, None)
    assert source == "contracts/baseline/agent_runtime.proto"
    assert text == check.BASELINE[check.PROTO].read_text()

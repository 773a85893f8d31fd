"""Contracts that never break: contracts/check.py (`make contracts`) against the last release, and
against fixtures that prove it can fail: every kind of break it must catch, in both contracts, fails
it by name; additive changes (and a field dropped the documented way, its number and name reserved)
pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from contracts import check

FIXTURES = Path(__file__).resolve().parent / "evolution"


def compare(kind: str, old: str, new: str) -> check.Result:
    texts = [(FIXTURES / name).read_text() for name in (old, new)]
    return check.check_openapi(*texts, old) if kind == "openapi" else check.check_proto(*texts, old)


@pytest.mark.slow  # builds both contracts at the last release (~30 s); `make contracts` runs it too
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


def faked_git(tag: str | None, merge_base: str | None) -> Callable[..., str | None]:
    """git as check.py calls it, with the tag and merge base a test chooses."""
    real = check.git

    def git(*args: str) -> str | None:
        if args[0] == "describe":
            return tag
        if args[0] == "merge-base":
            return merge_base
        return real(*args)

    return git


def test_the_release_is_a_tag_else_the_merge_base_else_the_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    head, parent = check.git("rev-parse", "HEAD"), check.git("rev-parse", "HEAD~1")
    if head is None or parent is None:
        pytest.skip("no git history here (a shallow clone)")
    monkeypatch.setattr(check, "git", faked_git("v9.9.9", parent))
    assert check.release_base() == "v9.9.9"
    # A branch: its merge base with main, read from git.
    monkeypatch.setattr(check, "git", faked_git(None, parent))
    assert check.release_base() == parent
    text, source = check.released(check.OPENAPI, parent)
    assert source == parent[:12] and text == check.git("show", f"{parent}:{check.OPENAPI}")
    # Main itself: the merge base is HEAD, no release to compare with, so the baseline stands in.
    monkeypatch.setattr(check, "git", faked_git(None, head))
    assert check.release_base() is None
    # No git at all (a shallow CI clone without main): the committed baseline.
    monkeypatch.setattr(check, "git", lambda *args: None)
    assert check.release_base() is None
    text, source = check.released(check.PROTO, None)
    assert source == "contracts/baseline/agent_runtime.proto"
    assert text == check.BASELINE[check.PROTO].read_text()

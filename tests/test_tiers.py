"""The tier marks tests/conftest.py applies: what `make test-fast` leaves out rests on them."""

from __future__ import annotations

import pytest

from tests.conftest import tiers_of, xdist_group_of


def test_a_test_on_the_shared_stack_is_marked_stack() -> None:
    assert tiers_of({"api", "tenant", "cloud"}, "doors") == {"stack"}


def test_real_http_is_e2e_and_on_the_stack() -> None:
    assert tiers_of({"http", "base_url", "cloud"}, "sdk") == {"e2e", "stack"}


def test_folders_mark_what_their_fixtures_do_not_say() -> None:
    assert tiers_of(set(), "infra") == {"infra"}
    assert tiers_of(set(), "console") == {"e2e", "browser"}
    assert tiers_of(set(), "docs") == {"e2e"}


def test_a_test_needing_nothing_gets_no_tier() -> None:
    assert tiers_of({"tmp_path", "monkeypatch"}, "engine") == set()


def test_this_module_is_collected_without_a_tier(request: pytest.FixtureRequest) -> None:
    marks = {mark.name for mark in request.node.iter_markers()}
    assert not marks & {"stack", "e2e", "infra", "browser"}


def test_tierless_tests_are_ordered_before_the_stack_starts(request: pytest.FixtureRequest) -> None:
    order = [item.nodeid for item in request.session.items]
    tiered = [
        i
        for i, item in enumerate(request.session.items)
        if {m.name for m in item.iter_markers()} & {"stack", "e2e", "infra", "browser"}
    ]
    assert all(i > order.index(request.node.nodeid) for i in tiered)


def test_what_shares_an_expensive_session_runs_on_one_worker_unless_it_needs_the_stack() -> None:
    assert xdist_group_of(tiers_of(set(), "infra"), "infra") == "infra"
    # tests/console/test_cloud.py declares infra: it synthesizes on the worker that already has the CDK.
    assert xdist_group_of(tiers_of(set(), "console") | {"infra"}, "console") == "infra"
    assert xdist_group_of(tiers_of(set(), "docs"), "docs") == "readme"
    assert xdist_group_of(tiers_of({"cloud"}, "infra"), "infra") is None
    assert xdist_group_of(tiers_of(set(), "console"), "console") is None

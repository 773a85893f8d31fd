"""Reserved concurrency separates request functions from workers (issue 21, item 1): held-open
request functions (long polls, SSE windows, blocking sends) have a ceiling, the workers and the
authorizer a floor, so one tenant's long polls can't take the executions steps need."""

from __future__ import annotations

from functions import manifest
from tests.infra.conftest import Synth
from tests.infra.test_template import _functions_by_name

# Lambda keeps 100 of an account's (default) 1,000 executions unreserved.
RESERVABLE = 900
WORKERS = {
    "step_worker",
    "checkpoint_worker",
    "authorizer",
    "webhook_delivery",
    "webhook_dispatcher",
    "reconciler",
}


def test_held_open_functions_have_a_ceiling_and_workers_a_floor(synth: Synth) -> None:
    functions = _functions_by_name(synth)
    for spec in manifest.FUNCTIONS:
        reserved = functions[spec.name].get("ReservedConcurrentExecutions")
        assert reserved == spec.reserved_concurrency, spec.name
        if spec.holds_open or spec.name in WORKERS:
            assert reserved, f"{spec.name} has no reserved concurrency"
    total = sum(spec.reserved_concurrency or 0 for spec in manifest.FUNCTIONS)
    assert total <= RESERVABLE


def test_reserved_concurrency_can_be_turned_off(custom_synth: Synth) -> None:
    functions = _functions_by_name(custom_synth)
    assert not any("ReservedConcurrentExecutions" in props for props in functions.values())

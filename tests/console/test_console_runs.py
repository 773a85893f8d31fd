"""The console's runs and timeline (issue 21, item 14, in part): search by run id and by metadata, a
workflow's own events shown as labelled values rather than JSON, and a retried step's attempts, in
headless Chromium against the local stack."""

from __future__ import annotations

import uuid

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.console.conftest import Browser
from tests.console.test_console import create_run, element, sign_in, text_of, wait, wait_for_status

pytestmark = pytest.mark.e2e


def test_search_runs_by_id_and_metadata(
    browser: Browser, base_url: str, api_key: str, http: httpx.Client
) -> None:
    batch = uuid.uuid4().hex[:12]
    ops = create_run(http, "echo", {"n": 1}, metadata={"batch": batch, "team": "ops"})
    create_run(http, "echo", {"n": 2}, metadata={"batch": batch, "team": "dev"})
    driver = browser()
    sign_in(driver, base_url, api_key)
    driver.get(f"{base_url}/console/#/runs")
    search = element(driver, "#r-search")
    search.send_keys(f"batch={batch} team=ops\n")
    text_of(driver, "#runs-order", f"metadata batch={batch} team=ops")
    rows = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-table tbody tr"))
    assert [row.get_attribute("data-run-id") for row in rows] == [ops]

    search = element(driver, "#r-search")
    search.clear()
    search.send_keys("not a pair\n")
    text_of(driver, "#runs .notice.error", "neither")

    search = element(driver, "#r-search")
    search.clear()
    search.send_keys(f"{ops}\n")  # a run id opens the run
    wait(driver, lambda d: d.current_url.endswith(f"#/runs/{ops}"), what="the run opened")


def test_custom_events_read_as_values_and_retries_as_attempts(
    browser: Browser, base_url: str, api_key: str, http: httpx.Client
) -> None:
    # counter (tests/workflows/samples.py) emits progress.note {"message": ...}; flaky makes its second step
    # raise RetryableStepError once, so the state machine runs it again.
    run_id = create_run(http, "counter", {"name": "c", "count": 1, "flaky": True})
    wait_for_status(http, run_id, "succeeded", timeout=60)
    driver = browser()
    sign_in(driver, base_url, api_key)
    driver.get(f"{base_url}/console/#/runs/{run_id}")
    note = element(driver, "li[data-type='progress.note']")
    text_of(driver, "li[data-type='progress.note'] dl.event-data", "first done")
    assert "message" in [dt.text for dt in note.find_elements(By.CSS_SELECTOR, "dt")]
    assert "{" not in note.text and '"message"' not in note.text  # not JSON
    starts = [
        li.text
        for li in driver.find_elements(By.CSS_SELECTOR, "li[data-type='step.started']")
        if "second" in li.text
    ]
    assert len(starts) == 2 and "attempt 2" in starts[1] and "attempt" not in starts[0]


def test_bulk_approve_answers_every_ticked_approval_and_says_which_were_taken(
    browser: Browser, base_url: str, api_key: str, http: httpx.Client
) -> None:
    reviewer = f"bulk-{uuid.uuid4().hex[:8]}"
    article = {"title": "Bulk", "points": ["one of several"], "reviewer": reviewer}
    runs = [create_run(http, "approval", article) for _ in range(3)]
    for run_id in runs:
        wait_for_status(http, run_id, "waiting_for_input")
    driver = browser()
    sign_in(driver, base_url, api_key)
    driver.get(f"{base_url}/console/#/inbox?assignee={reviewer}")
    boxes = wait(
        driver,
        lambda d: len(found := d.find_elements(By.CSS_SELECTOR, "#inbox-list input.pick")) == 3 and found,
    )
    for box in boxes:
        box.click()
    # Someone else answers the first one meanwhile: it is reported, not an error.
    taken = http.post(f"/v1/runs/{runs[0]}/checkpoints/review-1/reject", json={"reason": "no"})
    assert taken.status_code == 200
    element(driver, "#bulk-note").send_keys("all fine")
    element(driver, "#bulk-approve").click()
    text_of(driver, "#bulk-result", "2 approved, 1 already answered or closed.")
    for run_id in runs[1:]:
        done = wait_for_status(http, run_id, "succeeded", timeout=30)
        checkpoint = http.get(f"/v1/runs/{done['run_id']}/checkpoints/review-1").json()
        assert checkpoint["resolution"]["comment"] == "all fine"
    assert wait_for_status(http, runs[0], "failed", timeout=30)["status"] == "failed"

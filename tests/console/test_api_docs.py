"""The local stack's API docs (/docs, issue 21 item 15): Swagger UI from the vendored files under the
page's 'self'-only CSP, rendering the v1, ACP and A2A documents, and "Try it out" calling this server,
in a headless Chromium as tests/console drives the console."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.console.conftest import Browser
from tests.console.test_console import browser_log, click, text_of, wait

pytestmark = pytest.mark.e2e


def _rendered(driver: object, title: str) -> None:
    text_of(driver, ".information-container .title", title)  # type: ignore[arg-type]


def test_the_docs_page_tries_out_v1_acp_and_a2a(browser: Browser, base_url: str) -> None:
    driver = browser()
    driver.get(f"{base_url}/docs")
    _rendered(driver, "agent-runtime")
    # "Try it out" is on from the start. v1: GET /v1/workflows answers 200 from this server (the
    # document's `servers` names port 9000).
    click(driver, "#operations-workflows-list_workflows .opblock-summary-control")
    click(driver, "#operations-workflows-list_workflows .execute")
    live = "#operations-workflows-list_workflows .live-responses-table"
    assert text_of(driver, f"{live} tbody .response-col_status", "200").strip().startswith("200")
    assert '"name": "echo"' in text_of(driver, live, "approval")

    driver.get(f"{base_url}/docs?spec=acp")
    _rendered(driver, "Agent Connect Protocol")
    assert driver.find_elements(By.CSS_SELECTOR, "[id^='operations-Agents-']")

    driver.get(f"{base_url}/docs?spec=a2a")
    _rendered(driver, "A2A 1.0")
    operation = "[id$='-GetExtendedAgentCard']"  # its tag, HTTP+JSON, is escaped in the id
    click(driver, f"{operation} .opblock-summary-control")
    click(driver, f"{operation} .execute")
    assert text_of(driver, f"{operation} .live-responses-table tbody .response-col_status", "200")
    assert '"skills"' in text_of(driver, f"{operation} .live-responses-table", "echo_agent")

    # Nothing was refused by the CSP, and nothing was fetched from anywhere else.
    entries = browser_log(driver)
    assert not [e for e in entries if "Content Security Policy" in e["message"]], entries
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(url.startswith(base_url) for url in resources), resources
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".topbar select, .topbar .download-url-wrapper"))

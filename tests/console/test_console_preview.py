"""Artifact preview in the approvals console (headless Chromium against the local stack): the approved
document previewed as rendered Markdown, a JSON artifact as a tree, a PNG as an image through a blob:
URL, an HTML artifact as inert text, all without a Content-Security-Policy violation."""

from __future__ import annotations

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.doors.v1.test_artifact_preview import PNG, stored

from .conftest import Browser
from .test_console import click, create_run, csp_violations, element, sign_in, text_of, wait, wait_for_status

pytestmark = pytest.mark.e2e

HOSTILE_HTML = b"<img src=x onerror=\"document.title='pwned'\">"


def test_preview_markdown_json_an_image_and_inert_html(
    browser: Browser, base_url: str, http: httpx.Client, api_key: str, tenant: str
) -> None:
    run_id = create_run(http, "approval", {"title": "Q4 plan", "points": ["ship it"]})
    wait_for_status(http, run_id, "waiting_for_input")
    assert http.post(f"/v1/runs/{run_id}/checkpoints/review-1/approve", json={}).status_code == 200
    run = wait_for_status(http, run_id, "succeeded")
    document = run["output"]["artifact_id"]
    # More artifacts on the same run, as steps store them
    extra = {
        "json": stored(tenant, "data.json", "application/json", b'{"answer": 42}', run_id=run_id),
        "png": stored(tenant, "dot.png", "image/png", PNG, run_id=run_id),
        "html": stored(tenant, "page.html", "text/html", HOSTILE_HTML, run_id=run_id),
    }

    driver = browser()
    sign_in(driver, base_url, api_key)
    driver.get(f"{base_url}/console/#/runs/{run_id}")

    def card(artifact_id: str) -> str:
        return f'[data-artifact-id="{artifact_id}"]'

    click(driver, f"{card(document)} button.preview")
    text_of(driver, f"{card(document)} .artifact-preview .markdown h2", "Q4 plan")  # the page owns h1

    click(driver, f"{card(extra['json'])} button.preview")
    text_of(driver, f"{card(extra['json'])} .artifact-preview", "42")

    click(driver, f"{card(extra['png'])} button.preview")
    image = element(driver, f"{card(extra['png'])} .artifact-preview img")
    assert (image.get_attribute("src") or "").startswith("blob:")
    wait(
        driver,
        lambda d: d.execute_script("return arguments[0].naturalWidth", image) == 1,
        what="the PNG decoded",
    )

    click(driver, f"{card(extra['html'])} button.preview")
    shown = text_of(driver, f"{card(extra['html'])} .artifact-preview pre", "onerror")
    assert "<img src=x" in shown
    assert not driver.find_elements(By.CSS_SELECTOR, f"{card(extra['html'])} .artifact-preview img")
    assert driver.title != "pwned"
    assert not csp_violations(driver)

"""The README's screenshots of the console (docs/console-*.png), taken from a real session on the local
stack as `make dev` serves it (no key: tenant default). Only with CONSOLE_SCREENSHOTS=1, so the test
suite never rewrites the docs:

    CONSOLE_SCREENSHOTS=1 .venv/bin/pytest tests/console/test_screenshots.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By

from agent_runtime.engine import Engine
from tests.webhook_receiver import receiver

from .conftest import Browser
from .test_console import element, open_console, wait, wait_for_status

DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.environ.get("CONSOLE_SCREENSHOTS"),
        reason="set CONSOLE_SCREENSHOTS=1 to rewrite docs/console-*.png",
    ),
]


def shoot(driver: WebDriver, name: str, width: int = 1280, phone: bool = False) -> None:
    """The whole page at this width: the viewport is made as tall as the page (no scrollbars)."""
    time.sleep(0.3)  # let the last render settle
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    time.sleep(0.3)
    driver.save_screenshot(str(DOCS / name))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_screenshots(browser: Browser, base_url: str) -> None:
    ana = Engine.default().api_keys.create("default", "ana@example.com")
    with httpx.Client(base_url=base_url, timeout=30) as http, receiver() as hooks:

        def create(workflow: str, payload: dict[str, object], **extra: object) -> str:
            reply = http.post("/v1/runs", json={"workflow": {"name": workflow}, "input": payload, **extra})
            assert reply.status_code == 201, reply.text
            run_id: str = reply.json()["run_id"]
            return run_id

        published = create(
            "approval",
            {
                "title": "Release notes 2.4",
                "points": ["Approvals console", "Faster SSE"],
                "reviewer": "ana@example.com",
            },
            callback_url=hooks.url,
        )
        old = create("approval", {"title": "Old pricing draft", "points": ["superseded"]})
        expired = create("intake", {"purpose": "Supplier onboarding", "timeout_seconds": 1})
        plan = create(
            "approval",
            {
                "title": "Q4 launch plan",
                "points": [
                    "Ship the **approvals console** on Friday",
                    "Announce it in `#releases`",
                    "Keep costs near zero",
                ],
                "reviewer": "ana@example.com",
            },
            config={"review_timeout_seconds": 7200},
        )
        create(
            "intake", {"purpose": "Loan application #1042: the applicant's details", "timeout_seconds": 900}
        )
        create("approval", {"title": "Pricing page copy", "points": ["New tiers"]})
        for run_id in (published, old, plan):
            wait_for_status(http, run_id, "waiting_for_input")
        answer = {"comment": "Looks good, ship it."}
        auth = {"Authorization": f"Bearer {ana}"}
        assert http.post(
            f"/v1/runs/{published}/checkpoints/review-1/approve", json=answer, headers=auth
        ).is_success
        assert http.post(f"/v1/runs/{old}/cancel").is_success
        wait_for_status(http, published, "succeeded")
        wait_for_status(http, expired, "succeeded")

        driver = browser()
        open_console(driver, base_url, "#/inbox?status=all")
        element(driver, f'article[data-run-id="{plan}"]')
        element(driver, f'article[data-run-id="{old}"].closed')
        shoot(driver, "console-inbox.png")

        driver.get(f"{base_url}/console/#/runs/{plan}/checkpoints/review-1")
        element(driver, "#answer-comment").send_keys("Approved, but mention the pricing change in the notes.")
        shoot(driver, "console-checkpoint.png")

        driver.get(f"{base_url}/console/#/runs/{published}")
        element(driver, '#stream-state[data-ended="succeeded"]')
        element(driver, "#artifacts a.download")
        delivered = "#deliveries [data-delivery-id] .badge.delivered"
        wait(
            driver,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, delivered)) >= 6,
            timeout=20,
            what="deliveries",
        )
        shoot(driver, "console-run.png")

    phone = browser(width=390, height=844)
    open_console(phone, base_url, "#/inbox")
    element(phone, f'article[data-run-id="{plan}"]')
    shoot(phone, "console-phone.png", width=390, phone=True)

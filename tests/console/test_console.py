"""The approvals console in a real headless Chromium against the local stack over real HTTP: sign in,
an approval appears in the inbox while its run waits, approve it, the run reaches succeeded on its live
timeline, download the artifact; an input checkpoint with a field error (the browser's, then the
server's) fixed; two people answering the same checkpoint (one wins, the other sees why); cancel with
confirmation; phone width, page weight, the Content-Security-Policy, and where the key goes.

Every wait is bounded (WebDriverWait); the tenant is the test's own (its API key)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from agent_runtime.engine import Engine
from tests.webhook_receiver import receiver

from .conftest import WAIT_SECONDS, Browser

pytestmark = pytest.mark.e2e

PAGE_WEIGHT_BUDGET_KB = 80


# -- helpers ------------------------------------------------------------------------------------------
def wait(
    driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = WAIT_SECONDS, what: str = ""
) -> Any:
    def safe(d: WebDriver) -> Any:
        try:
            return condition(d)
        except StaleElementReferenceException:  # the console re-rendered under us: look again
            return False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(safe)
    except Exception as error:
        logs = "\n".join(str(entry) for entry in browser_log(driver)[-10:])
        main = driver.execute_script("return document.getElementById('main')?.innerText?.slice(0, 1500)")
        raise AssertionError(
            f"waited {timeout}s for {what or condition}\nurl: {driver.current_url}\n{logs}\npage: {main}"
        ) from error


def element(driver: WebDriver, css: str, timeout: float = WAIT_SECONDS) -> WebElement:
    def first(d: WebDriver) -> WebElement | bool:
        found = d.find_elements(By.CSS_SELECTOR, css)
        return found[0] if found else False

    result: WebElement = wait(driver, first, timeout, css)
    return result


def click(driver: WebDriver, css: str) -> None:
    """Click what css finds, looking again if the console re-rendered it meanwhile."""

    def clicked(d: WebDriver) -> bool:
        found = d.find_elements(By.CSS_SELECTOR, css)
        if not found:
            return False
        found[0].click()
        return True

    wait(driver, clicked, what=f"click {css}")


def browser_log(driver: WebDriver) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return entries


def text_of(driver: WebDriver, css: str, contains: str, timeout: float = WAIT_SECONDS) -> str:
    def check(d: WebDriver) -> str | bool:
        found = d.find_elements(By.CSS_SELECTOR, css)
        text = found[0].text if found else ""
        return text if contains in text else False

    result: str = wait(driver, check, timeout, f"{css} containing {contains!r}")
    return result


def open_console(driver: WebDriver, base_url: str, route: str = "") -> None:
    driver.get(f"{base_url}/console/{route}")
    wait(
        driver,
        lambda d: d.execute_script("return document.documentElement.dataset.ready") == "true",
        what="boot",
    )


def sign_in(driver: WebDriver, base_url: str, key: str) -> None:
    open_console(driver, base_url, "#/signin")
    field = element(driver, "#api-key")
    field.send_keys(key)
    wait(
        driver, lambda d: d.find_element(By.ID, "api-key").get_attribute("value") == key, what="the key typed"
    )
    click(driver, "#sign-in")
    text_of(driver, "#key-hint", key[-4:])
    element(driver, "#inbox-list")


def create_run(http: httpx.Client, workflow: str, payload: Any, **extra: Any) -> str:
    reply = http.post("/v1/runs", json={"workflow": {"name": workflow}, "input": payload, **extra})
    assert reply.status_code == 201, reply.text
    run_id: str = reply.json()["run_id"]
    return run_id


def wait_for_status(http: httpx.Client, run_id: str, status: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = http.get(f"/v1/runs/{run_id}").json()
        if run["status"] == status:
            return run
        assert time.monotonic() < deadline, f"run {run_id} is {run['status']}, not {status}"
        time.sleep(0.05)


def checkpoint_path(run_id: str, checkpoint_id: str) -> str:
    return f"#/runs/{run_id}/checkpoints/{checkpoint_id}"


def csp_violations(driver: WebDriver) -> list[str]:
    return [e["message"] for e in browser_log(driver) if "Content Security Policy" in e["message"]]


# -- the flows ------------------------------------------------------------------------------------------
def test_sign_in_see_an_approval_arrive_approve_it_watch_the_run_succeed_and_download(
    browser: Browser, base_url: str, api_key: str, http: httpx.Client, tenant: str
) -> None:
    driver = browser()
    sign_in(driver, base_url, api_key)
    assert api_key not in driver.current_url
    assert driver.execute_script("return sessionStorage.getItem('agent-runtime.console.api-key')") == api_key
    assert driver.execute_script("return localStorage.length + document.cookie.length") == 0
    # The page shows the key's tenant (from the API's X-Tenant header).
    wait(driver, lambda d: d.find_element(By.ID, "tenant").text == tenant, what="the tenant shown")

    run_id = create_run(
        http,
        "approval",
        {"title": "Q4 plan", "points": ["ship the **console**", "measure it"], "reviewer": "ana"},
        config={"review_timeout_seconds": 600},
    )
    # The inbox is live: the checkpoint appears while the run waits, with its countdown and the count.
    card = element(driver, f'article[data-run-id="{run_id}"]', timeout=20)
    assert "for ana" in card.text and "due in" in card.text
    wait(driver, lambda d: d.find_element(By.ID, "inbox-count").text == "1", what="the live count")
    # Filters: another assignee hides it, a deadline within the hour keeps it.
    mine = f'article[data-run-id="{run_id}"]'
    element(driver, "#f-assignee").send_keys("bob")
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, mine), what="filtered out by assignee")
    element(driver, "#f-assignee").clear()
    element(driver, "#f-assignee").send_keys("ana")
    Select(element(driver, "#f-deadline")).select_by_value("hour")
    click(driver, f"{mine} h2 a")
    element(driver, "#answer-form")
    markdown = element(driver, "#payload .markdown")
    assert markdown.find_element(By.CSS_SELECTOR, "strong").text == "console"  # Markdown, not raw text
    assert "ana" in element(driver, "#checkpoint-facts").text
    element(driver, "#answer-comment").send_keys("lgtm")
    click(driver, "#approve")
    text_of(driver, "#answered", "Your answer was recorded")
    audit = text_of(driver, '#answer [data-audit="approved"]', "Approved by")
    assert f"key:{tenant}" in audit and "lgtm" in audit

    # The run view: the timeline live over SSE reaches run.succeeded; steps have durations.
    click(driver, "#answer a[href^='#/runs/']")
    wait(
        driver, lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "succeeded", 20
    )
    element(driver, '#timeline li[data-type="run.succeeded"]')
    types = [li.get_attribute("data-type") for li in driver.find_elements(By.CSS_SELECTOR, "#timeline > li")]
    assert (
        types.index("checkpoint.created") < types.index("checkpoint.resolved") < types.index("run.succeeded")
    )
    ids = [
        int(li.get_attribute("data-event-id") or 0)
        for li in driver.find_elements(By.CSS_SELECTOR, "#timeline > li")
    ]
    assert ids == list(range(1, len(ids) + 1))  # every event once, in order, across reconnects
    state = element(driver, '#stream-state[data-ended="succeeded"]')
    assert int(state.get_attribute("data-windows") or 0) >= 1
    assert all(
        d.text.endswith(("ms", "s")) for d in driver.find_elements(By.CSS_SELECTOR, "#steps td.duration")
    )
    assert "artifact_id" in element(driver, "#output").text

    # Download the artifact: the link is a fresh pre-signed URL; the browser fetches the document.
    run = http.get(f"/v1/runs/{run_id}").json()
    download = f'[data-artifact-id="{run["output"]["artifact_id"]}"] a.download'
    href = element(driver, download).get_attribute("href") or ""
    assert href.startswith("http") and api_key not in href
    expected = httpx.get(href).text
    assert expected.startswith("# Q4 plan")
    click(driver, download)
    downloaded = _downloaded(driver, "document.md")
    assert downloaded == expected
    assert not csp_violations(driver)


def _downloaded(driver: WebDriver, name: str) -> str:
    """The file the click saved (Chromium downloads what it can't show), or the text of the tab it
    opened (what it can show)."""
    downloads: Path = driver.downloads  # type: ignore[attr-defined]
    main = driver.current_window_handle

    def done(d: WebDriver) -> str | bool:
        files = [f for f in downloads.iterdir() if not f.name.endswith(".crdownload")]
        if files:
            return files[0].read_text()
        for handle in d.window_handles:
            if handle != main:
                d.switch_to.window(handle)
                text = d.execute_script("return document.body ? document.body.innerText : ''")
                d.switch_to.window(main)
                if text:
                    return str(text).rstrip("\n") + "\n"
        return False

    result: str = wait(driver, done, what=f"the download of {name}")
    return result


def test_an_input_checkpoint_with_a_field_error_then_fixed(
    browser: Browser, base_url: str, api_key: str, http: httpx.Client
) -> None:
    run_id = create_run(http, "intake", {"purpose": "Loan application #7"})
    wait_for_status(http, run_id, "waiting_for_input")
    driver = browser()
    sign_in(driver, base_url, api_key)
    driver.get(f"{base_url}/console/{checkpoint_path(run_id, 'collect-1')}")
    element(driver, "#answer-form")
    assert "Loan application #7" in element(driver, "#payload").text
    labels = {
        label.text.rstrip(" *") for label in driver.find_elements(By.CSS_SELECTOR, "#answer-form label")
    }
    assert {"Name", "Email", "Amount", "Notes"} <= labels
    element(driver, "#answer-name").send_keys("Ana")
    element(driver, "#answer-email").send_keys("ana-at-example")
    element(driver, "#answer-amount").send_keys("-5")
    click(driver, "#submit")

    # The browser checks the schema's rules and says what is wrong beside each field; nothing is sent.
    text_of(driver, "#answer-email-error", "expected format")
    text_of(driver, "#answer-amount-error", "at least 0")
    assert element(driver, "#answer-email").get_attribute("aria-invalid") == "true"
    assert driver.switch_to.active_element.get_attribute("id") == "answer-email"
    assert http.get(f"/v1/runs/{run_id}").json()["status"] == "waiting_for_input"

    # As JSON it goes to the server as it is: the server's 422 lands beside the field it names.
    amount = element(driver, "#answer-amount")
    amount.clear()
    amount.send_keys("1200")
    click(driver, "#json-toggle")
    sent = json.loads(element(driver, "#answer-json").get_attribute("value") or "")
    assert sent == {"name": "Ana", "email": "ana-at-example", "amount": 1200}
    click(driver, "#submit")
    server_says = text_of(driver, "#answer-email-error", "Server:")
    assert "pattern" in server_says
    text_of(driver, "#form-errors", "the server said so")
    assert element(driver, "#answer-name").get_attribute("value") == "Ana"

    email = element(driver, "#answer-email")
    email.clear()
    email.send_keys("ana@example.com")
    click(driver, "#submit")
    text_of(driver, '#answer [data-audit="submitted"]', "Submitted by")
    output = wait_for_status(http, run_id, "succeeded")["output"]
    assert {k: output["applicant"][k] for k in ("name", "email", "amount")} == {
        "name": "Ana",
        "email": "ana@example.com",
        "amount": 1200,
    }


def test_two_people_answer_the_same_checkpoint_one_wins_the_other_is_told_why(
    browser: Browser, base_url: str, http: httpx.Client, tenant: str
) -> None:
    keys = {name: Engine.default().api_keys.create(tenant, name) for name in ("alice", "bob")}
    run_id = create_run(http, "approval", {"title": "Race", "points": ["who first"]})
    wait_for_status(http, run_id, "waiting_for_input")
    pages = {}
    for name, key in keys.items():
        driver = browser()
        sign_in(driver, base_url, key)
        driver.get(f"{base_url}/console/{checkpoint_path(run_id, 'review-1')}")
        element(driver, "#answer-form")
        pages[name] = driver
    pages["alice"].find_element(By.ID, "approve").click()
    pages["bob"].find_element(By.ID, "reject").click()

    outcome = {}
    for name, driver in pages.items():
        outcome[name] = wait(
            driver,
            lambda d: (
                ("won" if d.find_elements(By.ID, "answered") else "")
                or ("lost" if d.find_elements(By.ID, "conflict") else "")
            ),
            what="an answer or a conflict",
        )
    assert sorted(outcome.values()) == ["lost", "won"], outcome
    winner = next(name for name, result in outcome.items() if result == "won")
    loser = next(name for name, result in outcome.items() if result == "lost")
    notice = pages[loser].find_element(By.ID, "conflict").text
    assert "Someone else answered first" in notice
    assert winner in pages[loser].find_element(By.CSS_SELECTOR, "#conflict .winner").text
    assert "Your answer was not applied" in notice
    assert not re.search(r"Traceback|Exception|stack", notice)
    decision = {"alice": "approved", "bob": "rejected"}[winner]
    checkpoint = http.get(f"/v1/runs/{run_id}/checkpoints/review-1").json()
    assert checkpoint["resolution"]["decision"] == decision and checkpoint["resolution"]["by"] == winner
    # The loser's page now shows the winner's answer as the checkpoint's audit.
    assert winner in pages[loser].find_element(By.CSS_SELECTOR, f'#answer [data-audit="{decision}"]').text


def test_cancel_asks_first_deliveries_show_their_attempts_and_closed_checkpoints_are_greyed(
    browser: Browser, base_url: str, api_key: str, http: httpx.Client
) -> None:
    # The receiver refuses each webhook's first attempt (503), so every delivery is retried once.
    with receiver(lambda n: 503 if n == 1 else 200) as hooks:
        run_id = create_run(http, "approval", {"title": "Cancel me", "points": []}, callback_url=hooks.url)
        wait_for_status(http, run_id, "waiting_for_input")
        driver = browser()
        sign_in(driver, base_url, api_key)
        driver.get(f"{base_url}/console/#/runs/{run_id}")
        click(driver, "#cancel-run")
        element(driver, "#cancel-dialog[open]")
        # The dialog takes the keyboard: focus on the safe choice, Escape backs out.
        assert driver.switch_to.active_element.get_attribute("id") == "cancel-keep"
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait(
            driver,
            lambda d: not d.find_elements(By.CSS_SELECTOR, "#cancel-dialog[open]"),
            what="dialog closed",
        )
        assert http.get(f"/v1/runs/{run_id}").json()["status"] == "waiting_for_input"
        click(driver, "#cancel-run")
        click(driver, "#cancel-confirm")
        wait(
            driver, lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "cancelled"
        )
        element(driver, '#checkpoints [data-audit="cancelled"]')
        assert not driver.find_elements(By.ID, "cancel-run")
        element(driver, '#stream-state[data-ended="cancelled"]')

        def retried(d: WebDriver) -> str | bool:
            cards = d.find_elements(By.CSS_SELECTOR, "#deliveries [data-delivery-id]")
            done = [c for c in cards if "delivered" in c.text and "2 attempts" in c.text]
            if not done:
                d.find_element(By.CSS_SELECTOR, "#deliveries-refresh").click()
                return False
            attempts = done[0].find_element(By.CSS_SELECTOR, "details ol").get_attribute("textContent") or ""
            return attempts

        attempts = wait(driver, retried, timeout=20, what="a delivery retried once, then delivered")
        assert "HTTP 503" in attempts and "HTTP 200" in attempts

    driver.get(f"{base_url}/console/#/inbox?status=closed")
    closed = element(driver, f'article[data-run-id="{run_id}"]')
    assert "closed" in (closed.get_attribute("class") or "") and "cancelled" in closed.text


def test_the_sse_parser_follows_the_event_stream_rules(browser: Browser, base_url: str) -> None:
    """Lines ending in CR, LF or CRLF (split across chunks too), comments, multi-line data, ids that
    persist, events without data, retry, and a half-received event at the end that is dropped."""
    driver = browser()
    open_console(driver, base_url)
    result = driver.execute_async_script(
        r"""const done = arguments[arguments.length - 1];
        import('./js/sse.js').then(({ SSEParser }) => {
          const events = []; let retry = null;
          const parser = new SSEParser((e) => events.push(e), (ms) => { retry = ms; });
          for (const chunk of ['retry: 200\r', '\nid: 1\nevent: run.created\ndata: {"a"', ':1}\n\n',
                               ': window closed\n', 'data: one\ndata:two\r\n\r', '\nid: 2\nevent: x\n\n',
                               'event: end\ndata: {}\n\n', 'id: 9\ndata: half']) parser.feed(chunk);
          done({ events, retry, lastEventId: parser.lastEventId });
        }, (error) => done({ error: String(error) }));"""
    )
    assert result == {
        "events": [
            {"id": "1", "type": "run.created", "data": '{"a":1}'},
            {"id": "1", "type": "message", "data": "one\ntwo"},
            {"id": "2", "type": "end", "data": "{}"},
        ],
        "retry": 200,
        "lastEventId": "9",
    }


def test_phone_width_page_weight_csp_and_the_runs_list(
    browser: Browser, base_url: str, api_key: str, http: httpx.Client
) -> None:
    reply = httpx.get(f"{base_url}/console/index.html")
    csp = reply.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son\w+=", reply.text)  # nothing inline
    assert httpx.post(f"{base_url}/console/index.html").status_code == 404  # only GET/HEAD on static files
    assert httpx.get(f"{base_url}/console/../pyproject.toml").status_code == 404

    run_ids = [create_run(http, "echo", {"n": n}) for n in range(3)]
    driver = browser(width=390, height=844)
    sign_in(driver, base_url, api_key)
    # The weight of loading the inbox view with nothing cached (what a first visit transfers).
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    driver.execute_script("performance.clearResourceTimings()")
    driver.refresh()
    element(driver, "#inbox-list li")
    wait(
        driver,
        lambda d: d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"),
        what="no sideways scroll",
    )
    weight = driver.execute_script(
        """const all = [...performance.getEntriesByType('navigation'),
                        ...performance.getEntriesByType('resource')];
           return all.map((e) => ({name: e.name, bytes: e.transferSize}));"""
    )
    kilobytes = sum(entry["bytes"] for entry in weight) / 1024
    api_kb = sum(entry["bytes"] for entry in weight if "/v1/" in entry["name"]) / 1024
    print(
        f"\ninbox view page weight: {kilobytes:.1f} KB transferred in {len(weight)} requests "
        f"({api_kb:.1f} KB of them API responses)"
    )
    # The budget holds what the console itself ships; the API's answers grow with the deployment's
    # catalog (this test stack registers every test workflow module, with its schemas).
    assert 0 < kilobytes - api_kb < PAGE_WEIGHT_BUDGET_KB, weight
    assert all(api_key not in entry["name"] for entry in weight)  # the key travels in headers only

    driver.get(f"{base_url}/console/#/runs?workflow=echo")
    for run_id in run_ids:
        element(driver, f'tr[data-run-id="{run_id}"]')
    row = element(driver, "#runs-table tbody tr")
    assert row.size["width"] <= 390  # a stacked card, not a wide table
    assert not csp_violations(driver)

"""tests/console: a real headless Chromium, driven by Selenium, against the local stack served over real
HTTP on 127.0.0.1 (the e2e fixtures). The browser is Debian's `chromium` with its `chromium-driver`:
found on PATH, or installed here with apt-get when running as root (as CI does on a fresh machine).
Nothing is downloaded by Selenium itself (Selenium Manager is never asked: both paths are given)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

INSTALL_TIMEOUT_SECONDS = 600
WAIT_SECONDS = 15
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
DRIVER_FALLBACKS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _which(names: tuple[str, ...], fallbacks: tuple[str, ...] = ()) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((path for path in fallbacks if os.access(path, os.X_OK)), None)


def find_browser() -> tuple[str, str] | None:
    browser, driver = _which(BROWSERS), _which(DRIVERS, DRIVER_FALLBACKS)
    return (browser, driver) if browser and driver else None


def install_browser() -> str | None:
    """apt-get install chromium chromium-driver, bounded in time. None when it worked, else why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so apt-get can't install it"
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    deadline = time.monotonic() + INSTALL_TIMEOUT_SECONDS
    steps = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"])
    for command in steps:
        left = deadline - time.monotonic()
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=max(left, 1))
        except subprocess.TimeoutExpired:
            return f"`{' '.join(command)}` took longer than {INSTALL_TIMEOUT_SECONDS} s"
        if done.returncode != 0:
            return f"`{' '.join(command)}` failed ({done.returncode}): {done.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """(browser, chromedriver) paths: on PATH, or installed now; otherwise the console tests skip."""
    found = find_browser()
    if found is None:
        why = install_browser()
        found = find_browser()
        if found is None:
            reason = why or "apt-get installed chromium but no chromium/chromedriver is on PATH"
            pytest.skip(
                "CONSOLE TESTS SKIPPED: no headless Chromium. Install Debian's `chromium` and "
                f"`chromium-driver` (apt-get install -y chromium chromium-driver): {reason}"
            )
    return found


WebDriver = webdriver.Chrome
Browser = Callable[..., WebDriver]


@pytest.fixture
def browser(chromium: tuple[str, str], tmp_path: Path) -> Iterator[Browser]:
    """A factory of headless Chromium sessions; each is its own browser profile (its own
    sessionStorage), like two people at two machines. All are closed after the test."""
    binary, driver_path = chromium
    drivers: list[WebDriver] = []

    def make(width: int = 1280, height: int = 900) -> WebDriver:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for argument in (
            "--headless=new",
            "--no-sandbox",  # root in a container
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--lang=en-US",
            f"--window-size={width},{height}",
            f"--user-data-dir={tmp_path / f'profile-{len(drivers)}'}",
        ):
            options.add_argument(argument)
        downloads = tmp_path / f"downloads-{len(drivers)}"
        downloads.mkdir()
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "safebrowsing.enabled": False,
            },
        )
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(
            executable_path=driver_path, log_output=str(tmp_path / f"chromedriver-{len(drivers)}.log")
        )
        driver = webdriver.Chrome(service=service, options=options)
        if width < 500:  # below Chromium's smallest window: emulate a phone's viewport instead
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.set_page_load_timeout(WAIT_SECONDS)
        driver.set_script_timeout(WAIT_SECONDS)
        driver.downloads = downloads  # type: ignore[attr-defined]
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        with contextlib.suppress(Exception):  # a browser that already died is closed enough
            driver.quit()
